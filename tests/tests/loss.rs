//! Loss accounting: with a ring buffer too small for a flood, every record
//! is either received or reported lost, exactly.

use sensor_tests::{fork_and, record, Sensor};
use serde_json::Value;

const FLOOD: usize = 20_000;

/// A number after `label` in the sensor's final log line.
fn figure(log: &str, label: &str) -> u64 {
    let line = log
        .lines()
        .find(|l| l.contains("stopped:"))
        .expect("the final report");
    let at = line
        .find(label)
        .unwrap_or_else(|| panic!("no {label:?} in {line}"));
    line[..at]
        .split_whitespace()
        .last()
        .unwrap()
        .trim_start_matches("sequenced")
        .parse()
        .unwrap_or_else(|_| panic!("no number before {label:?} in {line}"))
}

#[test]
fn received_plus_lost_equals_what_the_kernel_emitted() {
    let sensor = Sensor::start(&["--ring-buffer-size", "4096"]).unwrap();
    let flooder = fork_and(|| unsafe {
        for _ in 0..FLOOD {
            let fd = libc::socket(libc::AF_UNIX, libc::SOCK_DGRAM, 0);
            libc::close(fd);
        }
    });
    std::thread::sleep(std::time::Duration::from_millis(1500)); // a LOST report tick
    let (events, log) = sensor.stop_with_log(libc::SIGINT).unwrap();

    let received = figure(&log, "records received");
    let ring_lost = figure(&log, "in the ring buffer");
    let sequenced = {
        let line = log.lines().find(|l| l.contains("stopped:")).unwrap();
        let rest = &line[line.find("the kernel sequenced ").unwrap() + 21..];
        rest.split(',')
            .next()
            .unwrap()
            .trim()
            .parse::<u64>()
            .unwrap()
    };
    let gaps = figure(&log, "missing");
    assert!(
        ring_lost > 0,
        "the flood did not overflow a 4 KiB ring:\n{log}"
    );
    assert_eq!(received + ring_lost, sequenced, "{log}");
    assert_eq!(
        gaps, ring_lost,
        "sequence gaps and kernel drop counts disagree:\n{log}"
    );

    // In-band: the LOST records add up to the same drops.
    let lost: Vec<&Value> = events.iter().filter(|e| e.get("LOST").is_some()).collect();
    let in_band: u64 = lost
        .iter()
        .map(|e| {
            record(e, "LOST")["ring_buffer"]
                .as_object()
                .map_or(0, |k| k.values().map(|n| n.as_u64().unwrap()).sum())
        })
        .sum();
    assert_eq!(in_band, ring_lost, "LOST records: {lost:?}\n{log}");
    // Every one of the flood's socket() calls is accounted for.
    let got = events
        .iter()
        .filter(|e| e["SYSCALL"]["syscall"] == 41 && e["SYSCALL"]["pid"] == flooder)
        .count() as u64;
    let lost_sockets: u64 = lost
        .iter()
        .map(|e| {
            record(e, "LOST")["ring_buffer"]["socket"]
                .as_u64()
                .unwrap_or(0)
        })
        .sum();
    assert!(
        got + lost_sockets >= FLOOD as u64,
        "{got} received + {lost_sockets} lost < {FLOOD}"
    );
}
