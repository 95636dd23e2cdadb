//! An HTTP/1.1 receiver the tests run on loopback, standing in for a log
//! collector or Splunk's HEC: it keeps every POST (headers and the body,
//! gunzipped), answers 200, and can be stopped and started again on the
//! same port to make an outage. It can also answer late, or not at all
//! (the connection closed after the request was read), as collectors do
//! that make a sender send again.

use std::{
    io::{BufRead, BufReader, Read, Write},
    net::{TcpListener, TcpStream},
    sync::{
        atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering},
        Arc, Mutex,
    },
    thread,
    time::Duration,
};

use anyhow::Result;

#[derive(Clone, Debug)]
pub struct Request {
    pub path: String,
    /// Lower-case names.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

pub struct Receiver {
    pub port: u16,
    pub requests: Arc<Mutex<Vec<Request>>>,
    behaviour: Arc<Behaviour>,
    stop: Arc<AtomicBool>,
    thread: Option<thread::JoinHandle<()>>,
}

/// How the receiver answers, changeable while it runs.
#[derive(Default)]
struct Behaviour {
    /// Milliseconds between keeping a request and answering it.
    delay_ms: AtomicU64,
    /// Requests still to keep and then leave unanswered.
    unanswered: AtomicUsize,
}

impl Receiver {
    pub fn start(port: u16) -> Result<Self> {
        let mut r = Self {
            port,
            requests: Arc::default(),
            behaviour: Arc::default(),
            stop: Arc::default(),
            thread: None,
        };
        r.restart()?;
        Ok(r)
    }

    /// Listens again after [`stop`](Self::stop), keeping what it received.
    pub fn restart(&mut self) -> Result<()> {
        let listener = TcpListener::bind(("127.0.0.1", self.port))?;
        self.port = listener.local_addr()?.port();
        listener.set_nonblocking(true)?;
        self.stop = Arc::default();
        let (stop, requests) = (self.stop.clone(), self.requests.clone());
        let behaviour = self.behaviour.clone();
        self.thread = Some(thread::spawn(move || {
            let mut conns = Vec::new();
            while !stop.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((conn, _)) => {
                        let (stop, requests) = (stop.clone(), requests.clone());
                        let behaviour = behaviour.clone();
                        conns.push(thread::spawn(move || {
                            serve(conn, &stop, &requests, &behaviour)
                        }));
                    }
                    Err(_) => thread::sleep(Duration::from_millis(5)),
                }
            }
            for c in conns {
                let _ = c.join();
            }
        }));
        Ok(())
    }

    /// Closes the listener and every connection: the destination is down.
    pub fn stop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }

    pub fn requests(&self) -> Vec<Request> {
        self.requests.lock().unwrap().clone()
    }

    /// Every line of every request, in order.
    pub fn lines(&self) -> Vec<String> {
        self.requests()
            .iter()
            .flat_map(|q| {
                String::from_utf8_lossy(&q.body)
                    .lines()
                    .map(String::from)
                    .collect::<Vec<_>>()
            })
            .collect()
    }

    /// Answers each request `delay` after it was kept (a slow collector).
    pub fn answer_after(&self, delay: Duration) {
        self.behaviour
            .delay_ms
            .store(delay.as_millis() as u64, Ordering::Relaxed);
    }

    /// Keeps the next `n` requests, then closes their connections without
    /// an answer (the sender cannot know they arrived).
    pub fn leave_unanswered(&self, n: usize) {
        self.behaviour.unanswered.store(n, Ordering::Relaxed);
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.stop();
    }
}

fn serve(
    conn: TcpStream,
    stop: &AtomicBool,
    requests: &Mutex<Vec<Request>>,
    behaviour: &Behaviour,
) {
    let _ = conn.set_read_timeout(Some(Duration::from_millis(20)));
    let mut reader = BufReader::new(conn.try_clone().unwrap());
    let mut conn = conn;
    while !stop.load(Ordering::Relaxed) {
        let mut line = String::new();
        match reader.read_line(&mut line) {
            Ok(0) => return,
            Ok(_) => {}
            Err(_) => continue, // the read timeout: check `stop`
        }
        let _ = conn.set_read_timeout(None);
        let path = line.split_whitespace().nth(1).unwrap_or("").to_string();
        let mut headers = Vec::new();
        loop {
            let mut h = String::new();
            if reader.read_line(&mut h).unwrap_or(0) == 0 {
                return;
            }
            let h = h.trim_end();
            if h.is_empty() {
                break;
            }
            if let Some((n, v)) = h.split_once(':') {
                headers.push((n.trim().to_ascii_lowercase(), v.trim().to_string()));
            }
        }
        let length: usize = headers
            .iter()
            .find(|(n, _)| n == "content-length")
            .and_then(|(_, v)| v.parse().ok())
            .unwrap_or(0);
        let mut body = vec![0; length];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        if headers
            .iter()
            .any(|(n, v)| n == "content-encoding" && v == "gzip")
        {
            let mut plain = Vec::new();
            flate2::read::GzDecoder::new(&body[..])
                .read_to_end(&mut plain)
                .unwrap();
            body = plain;
        }
        requests.lock().unwrap().push(Request {
            path,
            headers,
            body,
        });
        let unanswered = &behaviour.unanswered;
        if unanswered
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1))
            .is_ok()
        {
            return;
        }
        thread::sleep(Duration::from_millis(
            behaviour.delay_ms.load(Ordering::Relaxed),
        ));
        let answer = "{\"text\":\"Success\",\"code\":0}";
        let _ = write!(
            conn,
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{answer}",
            answer.len()
        );
        let _ = conn.set_read_timeout(Some(Duration::from_millis(20)));
    }
}
