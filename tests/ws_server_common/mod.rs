//! A raw WebSocket server's side of the handshake, for tests that then write frames by hand
//! (split, fragmented, malformed) to the product's client.
#![allow(dead_code)]

use std::io::Read;
use std::net::TcpStream;

/// The client's request head, up to and including the blank line (shorter if it hung up).
pub fn read_request_head(s: &mut TcpStream) -> String {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if s.read(&mut byte).unwrap_or(0) != 1 {
            break;
        }
        head.push(byte[0]);
    }
    String::from_utf8(head).unwrap()
}

/// The 101 response for a request head, done by hand so frames can follow in the same write.
pub fn switching_protocols(head: &str) -> Vec<u8> {
    let key = head
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.trim()
                .eq_ignore_ascii_case("sec-websocket-key")
                .then(|| v.trim().to_string())
        })
        .expect("Sec-WebSocket-Key");
    let accept = tungstenite::handshake::derive_accept_key(key.as_bytes());
    format!(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n\r\n"
    )
    .into_bytes()
}
