//! A loopback HTTP server standing in for a messaging provider (SendGrid,
//! Twilio, a webhook...): it records every request, answers with the
//! statuses it is told to, and can hold requests until released.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

#[derive(Debug, Clone)]
pub struct Received {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Received {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("JSON body")
    }
}

#[derive(Default)]
struct State {
    received: Vec<Received>,
    /// Statuses for the next requests; 202 when empty.
    script: VecDeque<u16>,
    held: bool,
    /// Fixed response body instead of the default message ids.
    body: Option<String>,
    /// How long each answer takes.
    delay: Duration,
}

pub struct MockProvider {
    pub url: String,
    state: Arc<(Mutex<State>, Condvar)>,
}

impl MockProvider {
    pub fn start() -> MockProvider {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind mock provider");
        let url = format!("http://{}", listener.local_addr().unwrap());
        let state: Arc<(Mutex<State>, Condvar)> = Arc::default();
        let shared = state.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let state = shared.clone();
                std::thread::spawn(move || serve(stream, &state));
            }
        });
        MockProvider { url, state }
    }

    /// The next `n` requests are answered with `status`.
    pub fn fail_next(&self, n: usize, status: u16) {
        self.state
            .0
            .lock()
            .unwrap()
            .script
            .extend(std::iter::repeat_n(status, n));
    }

    /// Requests wait, unanswered, until [`Self::release`].
    pub fn hold(&self) {
        self.state.0.lock().unwrap().held = true;
    }

    /// Every answer takes this long from now on (a slow provider).
    pub fn delay(&self, delay: Duration) {
        self.state.0.lock().unwrap().delay = delay;
    }

    /// Every response carries this body from now on.
    pub fn answer_with(&self, body: &str) {
        self.state.0.lock().unwrap().body = Some(body.to_string());
    }

    pub fn release(&self) {
        self.state.0.lock().unwrap().held = false;
        self.state.1.notify_all();
    }

    pub fn received(&self) -> Vec<Received> {
        self.state.0.lock().unwrap().received.clone()
    }

    /// Waits (up to 20 s) until at least `n` requests have arrived.
    pub fn wait_for(&self, n: usize) -> Vec<Received> {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let got = self.received();
            if got.len() >= n || Instant::now() > deadline {
                return got;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

fn serve(stream: TcpStream, state: &(Mutex<State>, Condvar)) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut writer = stream;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let mut parts = line.split_whitespace();
        let (method, path) = (
            parts.next().unwrap_or_default().to_string(),
            parts.next().unwrap_or_default().to_string(),
        );
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
            if let Some((k, v)) = h.split_once(':') {
                headers.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
            }
        }
        let chunked = headers
            .iter()
            .any(|(k, v)| k == "transfer-encoding" && v.contains("chunked"));
        let body = if chunked {
            match read_chunked(&mut reader) {
                Some(body) => body,
                None => return,
            }
        } else {
            let length = headers
                .iter()
                .find(|(k, _)| k == "content-length")
                .and_then(|(_, v)| v.parse().ok())
                .unwrap_or(0);
            let mut body = vec![0; length];
            if reader.read_exact(&mut body).is_err() {
                return;
            }
            body
        };
        let status = {
            let (lock, cvar) = state;
            let mut s = lock.lock().unwrap();
            s.received.push(Received {
                method,
                path,
                headers,
                body,
            });
            let n = s.received.len();
            while s.held {
                s = cvar.wait(s).unwrap();
            }
            let status = s.script.pop_front().unwrap_or(202);
            (status, n, s.body.clone(), s.delay)
        };
        std::thread::sleep(status.3);
        let body = status.2.clone().unwrap_or_else(|| {
            format!(
                "{{\"id\":\"msg-{}\",\"sid\":\"SM{}\",\"MessageID\":\"pm-{}\"}}",
                status.1, status.1, status.1
            )
        });
        let response = format!(
            "HTTP/1.1 {} X\r\ncontent-type: application/json\r\nx-message-id: sg-{}\r\ncontent-length: {}\r\n\r\n{}",
            status.0,
            status.1,
            body.len(),
            body
        );
        if writer.write_all(response.as_bytes()).is_err() {
            return;
        }
    }
}

fn read_chunked(reader: &mut impl BufRead) -> Option<Vec<u8>> {
    let mut body = Vec::new();
    loop {
        let mut size = String::new();
        reader.read_line(&mut size).ok()?;
        let size = usize::from_str_radix(size.trim().split(';').next()?, 16).ok()?;
        let mut chunk = vec![0; size + 2];
        reader.read_exact(&mut chunk).ok()?;
        if size == 0 {
            return Some(body);
        }
        body.extend_from_slice(&chunk[..size]);
    }
}
