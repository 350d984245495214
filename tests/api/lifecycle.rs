//! How `pieces serve` stops, seen from outside the process: SIGTERM while requests and an OCR are
//! under way, and `kill -9` in the middle of an OCR. Issue 15, items 2 and 4: a stop took forever
//! while a request ran, and `pdftoppm` outlived a killed server.

use std::time::{Duration, Instant};

use reqwest::multipart::{Form, Part};
use reqwest::StatusCode;
use tokio::io::AsyncWriteExt;

use crate::child::{descendants, is_running, ChildServer};
use crate::helpers::DRAFT_A;

/// How long a stop waits for the requests under way (`serve::SHUTDOWN_GRACE`), and a margin.
const STOP_WITHIN: Duration = Duration::from_secs(30 + 10);

/// Uploads the three giant blank pages, whose reading renders and OCRs them for a few seconds,
/// and waits until the renderer or the OCR runs under the server: the server's descendants then.
async fn start_an_ocr(server: &ChildServer) -> Vec<(u32, String)> {
    let form = Form::new().part("file", Part::bytes(crate::hostile::giant_pages_pdf()).file_name("scan.pdf"));
    let path = format!("/api/v1/dossiers/{DRAFT_A}/documents");
    let response = server.http.post(server.url(&path)).bearer_auth(server.employer(0)).multipart(form).send().await;
    assert_eq!(response.unwrap().status(), StatusCode::CREATED);
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let children = descendants(server.pid());
        if children.iter().any(|(_, name)| name == "pdftoppm" || name == "tesseract") {
            return children;
        }
        assert!(Instant::now() < deadline, "no OCR started: {:?}", descendants(server.pid()));
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn sigterm_stops_the_server_and_its_children_while_requests_hang() {
    let mut server = ChildServer::start().await;
    let mut upload = crate::hostile::held_upload(&server.base, &server.employer(0)).await;
    // A body that trickles a byte every second keeps its request under way past any pause limit.
    let mut headers = tokio::net::TcpStream::connect(server.base.trim_start_matches("http://")).await.unwrap();
    headers.write_all(b"GET /api/v1/dossiers HTTP/1.1\r\nHost: x\r\nX-Slow: ").await.unwrap();
    let trickle = tokio::spawn(async move {
        loop {
            tokio::time::sleep(Duration::from_secs(1)).await;
            if upload.write_all(b"a").await.is_err() {
                return;
            }
        }
    });
    let children = start_an_ocr(&server).await;
    let sent = Instant::now();
    let status = std::process::Command::new("kill").args(["-TERM", &server.pid().to_string()]).status().unwrap();
    assert!(status.success());
    let exit = loop {
        if let Some(exit) = server.try_wait() {
            break exit;
        }
        assert!(sent.elapsed() < STOP_WITHIN, "still running {:?} after SIGTERM", sent.elapsed());
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    eprintln!("pieces serve stopped {:?} after SIGTERM, with {exit}", sent.elapsed());
    assert!(exit.success(), "{exit}");
    let left: Vec<_> = children.iter().filter(|(pid, _)| is_running(*pid)).collect();
    assert!(left.is_empty(), "children outlived the server: {left:?}");
    trickle.abort();
    drop(headers);
}

#[tokio::test]
async fn kill_9_in_the_middle_of_an_ocr_leaves_no_child_running() {
    let mut server = ChildServer::start().await;
    let children = start_an_ocr(&server).await;
    server.kill();
    // The kernel sends SIGKILL to each sandboxed child when its parent dies (`--pdeathsig`).
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let left: Vec<_> = children.iter().filter(|(pid, _)| is_running(*pid)).collect();
        if left.is_empty() {
            break;
        }
        assert!(Instant::now() < deadline, "children outlived the killed server: {left:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
