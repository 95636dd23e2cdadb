//! The daemon: load, then read records into the [`Pipeline`] until told to
//! stop; SIGHUP applies the settings again, SIGUSR1 reopens output files.

use std::time::Duration;

use anyhow::{Context, Result};
use tokio::signal::unix::{signal, SignalKind};

use crate::{
    config::{self, Settings},
    enrich,
    kernel_feed::KernelFeed,
    load::{self, kernel_side::KernelSide, LoadOptions},
    loss::LossMonitor,
    metrics::{health, server::Server},
    pipeline::Pipeline,
    read::{recording::Recorder, Reader},
    sink::Fanout,
};

/// How often lost-record counts are checked and reported in-band.
const LOSS_INTERVAL: Duration = Duration::from_secs(1);

pub async fn run(
    opts: &LoadOptions,
    rules: crate::rules::RuleFile,
    settings: Settings,
    applied: config::Applied,
    runtime: enrich::runtime::Endpoints,
    metrics: Option<Server>,
) -> Result<()> {
    // Privileges first (what is missing is the first thing to say), then
    // the sinks: a destination that cannot be built stops start-up before
    // anything is loaded.
    let kernel = load::preflight(opts)?;
    if let Ok(release) = std::fs::read_to_string("/proc/sys/kernel/osrelease") {
        crate::decode::generic::set_kernel_release(release.trim());
    }
    let sink = Fanout::start(&applied.outputs, applied.sinks)?;
    let mut ebpf = load::load(opts, &kernel)?;
    if opts.ebpf_log {
        spawn_ebpf_log(&mut ebpf)?;
    }
    let recorder = settings
        .cli
        .options
        .restart_only
        .record_raw
        .as_deref()
        .map(Recorder::create);
    let mut reader = Reader::new(&mut ebpf, recorder.transpose()?)?;
    let loss = LossMonitor::new(&mut ebpf)?;
    let mut kernel_side = KernelSide::new(ebpf, opts, kernel.tracefs.clone())?;
    let scope = applied.stages.scope.clone();
    // The pipeline (its process table read from /proc, its metadata
    // lookup started) before the programs are attached, as start-up has
    // always been ordered.
    let mut pipeline = Pipeline::new(
        applied.stages,
        rules,
        kernel.cgroup_controller,
        runtime,
        kernel_side.excludes_cgroups(),
        loss,
        sink,
    );
    kernel_side.apply(Some(pipeline.rules()), &scope)?;
    let mut current = settings;
    // Before `ready`: a signal sent as soon as it is logged is handled.
    let mut sighup = signal(SignalKind::hangup()).context("installing the SIGHUP handler")?;
    let mut sigterm = signal(SignalKind::terminate()).context("installing the SIGTERM handler")?;
    let mut sigint = signal(SignalKind::interrupt()).context("installing the SIGINT handler")?;
    let mut sigusr1 =
        signal(SignalKind::user_defined1()).context("installing the SIGUSR1 handler")?;
    // The kernel's own records, beside the programs' (coexists with
    // auditd); before `ready`, like the programs.
    let mut kernel_feed = match KernelFeed::open() {
        Ok(feed) => Some(feed),
        Err(e) => {
            log::warn!("{e:#}");
            None
        }
    };
    let mut kernel_records = Vec::new();
    // Privileges the rest of the run does not need go now.
    crate::confine::after_attach()?;
    health::set_ready(true);
    log::info!("ready: {} programs attached", kernel_side.attached());

    let mut loss_tick = tokio::time::interval(LOSS_INTERVAL);
    let mut raw = Vec::new();
    loop {
        // What the last step found out of scope is dropped in the kernel
        // from now on.
        kernel_side.exclude(pipeline.take_out_of_scope());
        health::beat();
        let (intake, waiting) = pipeline.waiting();
        tokio::select! {
            read = reader.read(&mut raw, intake) => {
                read?;
                pipeline.process(&mut raw);
            }
            update = waiting => pipeline.woke(update),
            read = async { kernel_feed.as_mut().unwrap().read(&mut kernel_records).await },
                if kernel_feed.is_some() => match read {
                    Ok(()) => {
                        // The ring's records first: a kernel record names a
                        // process its fork or exec may have just made.
                        reader.drain(&mut raw, pipeline.intake())?;
                        pipeline.process(&mut raw);
                        pipeline.kernel_records(&mut kernel_records);
                    }
                    Err(e) => {
                        log::error!("{e:#}: the kernel's own records are no longer read");
                        kernel_feed = None;
                    }
                },
            _ = loss_tick.tick() => {
                let overflows = kernel_feed
                    .as_mut()
                    .map_or(0, |feed| std::mem::take(&mut feed.overflows));
                pipeline.tick(overflows);
            }
            _ = sighup.recv() => {
                reload(&mut current, &mut pipeline, &mut kernel_side, metrics.as_ref()).await
            }
            _ = sigusr1.recv() => pipeline.reopen(),
            _ = sigterm.recv() => break,
            _ = sigint.recv() => break,
        }
    }
    // Unload first, so nothing new arrives, then write out what was read.
    kernel_side.unload().await?;
    reader.drain(&mut raw, pipeline.intake())?;
    pipeline.process(&mut raw);
    pipeline.flush();
    health::set_ready(false);
    pipeline.summary();
    pipeline.close().await;
    Ok(())
}

/// The settings the sinks are started with: kept as they are when the
/// new ones cannot be started.
const SINK_SETTINGS: [&str; 4] = ["outputs", "spool_dir", "spool_size", "queue_size"];

/// Where the metrics token comes from: kept when it cannot be read.
const METRICS_TOKEN: [&str; 2] = ["metrics_token_file", "metrics_token_env"];

/// SIGHUP: the command line and the configuration file resolved again,
/// and every reloadable setting applied (the rules read again even when
/// their path is the same); each changed setting is named, with what was
/// done. A file that cannot be read or parsed changes nothing; new
/// outputs that cannot be started, or rules that cannot be read, leave
/// the current ones, while the rest applies. Events already read are not
/// affected: the stages take the new settings between two records.
async fn reload(
    current: &mut Settings,
    pipeline: &mut Pipeline,
    kernel_side: &mut KernelSide,
    metrics: Option<&Server>,
) {
    let new = match config::resolve(std::env::args_os().collect()) {
        Ok(s) => s,
        Err(e) => {
            log::error!("SIGHUP: keeping the current configuration: {e:#}");
            return;
        }
    };
    let (old_options, new_options) = (&current.cli.options, &new.cli.options);
    for name in old_options.restart_only.changed(&new_options.restart_only) {
        log::warn!("SIGHUP: {name} changed: needs a restart");
    }
    let mut changed = old_options.reloadable.changed(&new_options.reloadable);
    // The outputs are the flags' or the file's: compared once resolved.
    changed.retain(|name| *name != "outputs");
    if new.outputs != current.outputs {
        changed.push("outputs");
    }
    let applied = new.applied();
    crate::set_verbosity(applied.verbose);
    let token = applied
        .metrics_token
        .read()
        .and_then(|token| match metrics {
            Some(server) => {
                server.set_token(token);
                Ok(())
            }
            // No address, no server: a token is refused as at start.
            None => Server::start(None, token).map(drop),
        });
    if let Err(e) = token {
        log::error!("SIGHUP: keeping the metrics token: {e:#}");
        changed.retain(|name| !METRICS_TOKEN.contains(name));
    }
    if let Err(e) = pipeline
        .reconfigure_sinks(&applied.outputs, applied.sinks.clone())
        .await
    {
        log::error!("SIGHUP: keeping the current outputs: {e:#}");
        changed.retain(|name| !SINK_SETTINGS.contains(name));
    }
    let rules = match applied.load_rules() {
        Ok(rules) => Some(rules),
        Err(e) => {
            log::error!("SIGHUP: keeping the current rules: {e:#}");
            None
        }
    };
    if let Err(e) = kernel_side.apply(rules.as_ref(), &applied.stages.scope) {
        log::error!("SIGHUP: applying the new rules in the kernel: {e:#}");
    }
    pipeline.reconfigure(applied.stages, kernel_side.excludes_cgroups());
    match rules {
        Some(rules) => {
            pipeline.set_rules(rules);
            let from = match &applied.rules {
                Some(path) => path.display().to_string(),
                None => "the built-in rules".into(),
            };
            log::info!(
                "SIGHUP: rules reloaded from {from}; {} programs attached",
                kernel_side.attached()
            );
        }
        None => changed.retain(|name| !["rules", "skip_unsupported_rules"].contains(name)),
    }
    for name in changed {
        log::info!("SIGHUP: {name} changed: applied");
    }
    *current = new;
}

/// `--ebpf-log`: the kernel programs' diagnostics, forwarded to our log.
fn spawn_ebpf_log(ebpf: &mut aya::Ebpf) -> Result<()> {
    let logger = aya_log::EbpfLogger::init(ebpf).context("starting the eBPF diagnostics log")?;
    // SAFETY: the logger owns its ring buffer's fd for as long as the AsyncFd holds it.
    let mut logger = unsafe {
        tokio::io::unix::AsyncFd::register_with_interest(logger, tokio::io::Interest::READABLE)
    }
    .map_err(std::io::Error::from)?;
    tokio::spawn(async move {
        while let Ok(mut guard) = logger.readable_mut().await {
            guard.get_inner_mut().flush();
            guard.clear_ready();
        }
    });
    Ok(())
}
