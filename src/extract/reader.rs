//! Reading a piece's file, as the service and `pieces eval` both do: a PDF's text layer (in the
//! sandboxed reader) with OCR of its pages without text, or OCR of an image; and the Factur-X
//! data of a PDF.

use std::path::{Path, PathBuf};

use anyhow::Context;

use super::{child, ocr, pdf_text, FacturX, Problem};

/// At most this many scanned pages of one PDF are OCR'd.
const MAX_OCR_PAGES: usize = 50;
/// The OCR of one PDF's pages stops after this long (a page takes a few seconds): the worker
/// is not held for hours by one piece.
const OCR_BUDGET: std::time::Duration = std::time::Duration::from_secs(15 * 60);

/// Problems that leave what could be read: the piece is `done`, with the problem said (OCR off,
/// past a cap, or a scanned page the OCR could not read).
const SOFT: [&str; 5] = ["ocr_off", "page_cap", "text_cap", "ocr_failed", "render_failed"];

/// How to read: the executable that runs the sandboxed PDF reader, and whether OCR runs.
#[derive(Clone, Debug)]
pub struct Reader {
    pub exe: PathBuf,
    pub ocr: bool,
}

impl Reader {
    /// `helper_exe` (default: this executable); OCR when `ocr` is not `off` and Tesseract is here.
    pub fn new(helper_exe: Option<&Path>, ocr: &str) -> anyhow::Result<Reader> {
        let exe = match helper_exe {
            Some(exe) => exe.to_path_buf(),
            None => std::env::current_exe()?,
        };
        Ok(Reader { exe, ocr: ocr != "off" && ocr::available() })
    }
}

/// What was read of a piece.
#[derive(Debug, Default)]
pub struct Reading {
    /// Why the text could not be read, or only in part.
    pub problem: Option<Problem>,
    pub page_count: usize,
    /// (text, source) per page; source is `layer` or `ocr`.
    pub pages: Vec<(String, &'static str)>,
    /// 1-based pages without a text layer (scans).
    pub pages_without_text: Vec<usize>,
    pub facturx: Option<FacturX>,
}

impl Reading {
    /// `done` or `failed`: failed when nothing could be read. (With OCR off, past the page or
    /// text cap, or a page the OCR failed on, what could be read is kept, and the problem says
    /// what was not.)
    /// Whether the piece counts as read (`true`), or failed: a soft problem leaves it read.
    pub fn is_read(&self) -> bool {
        !matches!(&self.problem, Some(problem) if !SOFT.contains(&problem.code.as_str()) || self.pages.is_empty())
    }

    pub fn texts(&self) -> Vec<String> {
        self.pages.iter().map(|(text, _)| text.clone()).collect()
    }

    /// Whether every page is a scan.
    pub fn is_scan(&self) -> bool {
        self.page_count > 0 && self.pages_without_text.len() == self.page_count
    }
}

/// Reads a file found on disk (not uploaded): its type sniffed as an upload's would be.
pub async fn read_file(reader: &Reader, path: &Path, work: &Path) -> anyhow::Result<Reading> {
    tokio::fs::create_dir_all(work).await?;
    let mut head = vec![0; 8192];
    let mut file = tokio::fs::File::open(path).await.with_context(|| format!("cannot read {}", path.display()))?;
    let len = tokio::io::AsyncReadExt::read(&mut file, &mut head).await?;
    let mime_type = crate::domain::sniff::sniff(&head[..len]).map_err(|e| anyhow::anyhow!("{}", e.detail))?;
    read(reader, path, mime_type, work).await
}

/// Reads the file at `path` of type `mime_type`; `work` is a private scratch folder. An error
/// is worth retrying (a tool could not start: the machine's trouble); a piece that cannot be
/// read, or whose OCR failed, is a `problem` (a tool stopped at its limits would stop again).
pub async fn read(reader: &Reader, path: &Path, mime_type: &str, work: &Path) -> anyhow::Result<Reading> {
    if mime_type == "application/pdf" {
        return read_pdf(reader, path, work).await;
    }
    if !reader.ocr {
        return Ok(Reading {
            problem: Some(Problem::new(
                "ocr_off",
                "L'OCR n'est pas disponible : le texte de cette image n'a pas été lu.",
            )),
            page_count: 1,
            pages_without_text: vec![1],
            ..Reading::default()
        });
    }
    let (page_count, mut pages) = match ocr::image_pages(path, MAX_OCR_PAGES, OCR_BUDGET).await {
        Ok(read) => read,
        Err(ocr::Failure::NotStarted(error)) => return Err(error.into()),
        Err(ocr::Failure::Piece(problem)) => {
            return Ok(Reading {
                problem: Some(problem),
                page_count: 1,
                pages_without_text: vec![1],
                ..Reading::default()
            })
        }
    };
    let cut = super::cap_text(&mut pages);
    let problem = if page_count > pages.len() {
        Some(Problem::new(
            "page_cap",
            format!("Seules les {} premières pages sur {page_count} ont été lues.", pages.len()),
        ))
    } else {
        cut.then(text_cap)
    };
    Ok(Reading {
        problem,
        page_count,
        // An image has no text layer: every page of it is a scan.
        pages_without_text: (1..=pages.len()).collect(),
        pages: pages.into_iter().map(|text| (text, "ocr")).collect(),
        ..Reading::default()
    })
}

async fn read_pdf(reader: &Reader, path: &Path, work: &Path) -> anyhow::Result<Reading> {
    let found = child::read_pdf(&reader.exe, path).await?;
    if let Some(problem) = found.problem {
        return Ok(Reading { problem: Some(problem), ..Reading::default() });
    }
    let mut pages: Vec<(String, &'static str)> = found.pages.into_iter().map(|text| (text, "layer")).collect();
    let pages_without_text: Vec<usize> =
        pages.iter().enumerate().filter(|(_, (text, _))| pdf_text::is_textless(text)).map(|(i, _)| i + 1).collect();
    let mut problem = (found.page_count > pages.len()).then(|| {
        Problem::new(
            "page_cap",
            format!("Seules les {} premières pages sur {} ont été lues.", pages.len(), found.page_count),
        )
    });
    // A text layer that fills the cap already: the text of the scanned pages could not be kept.
    let full = pages.iter().map(|(text, _)| text.chars().count()).sum::<usize>() >= super::MAX_TEXT_CHARS;
    if full {
        problem = problem.or_else(|| Some(text_cap()));
    } else if !pages_without_text.is_empty() {
        if reader.ocr {
            let started = std::time::Instant::now();
            for &page in pages_without_text.iter().take(MAX_OCR_PAGES) {
                if started.elapsed() > OCR_BUDGET {
                    problem = problem.or_else(|| Some(ocr_budget(page)));
                    break;
                }
                match ocr::pdf_page(path, page, work).await {
                    Ok(text) => pages[page - 1] = (text, "ocr"),
                    Err(ocr::Failure::NotStarted(error)) => return Err(error.into()),
                    Err(ocr::Failure::Piece(failed)) => {
                        problem = Some(failed);
                        break;
                    }
                }
            }
        } else if problem.is_none() {
            problem = Some(Problem::new(
                "ocr_off",
                "Des pages sont scannées et l'OCR n'est pas disponible : leur texte n'a pas été lu.",
            ));
        }
    }
    if super::cap_text(pages.iter_mut().map(|(text, _)| text)) && problem.is_none() {
        problem = Some(text_cap());
    }
    Ok(Reading { problem, page_count: found.page_count, pages, pages_without_text, facturx: found.facturx })
}

fn ocr_budget(page: usize) -> Problem {
    Problem::new(
        "page_cap",
        format!(
            "Le temps permis pour l'OCR est épuisé : les pages scannées à partir de la page {page} n'ont pas été lues."
        ),
    )
}

fn text_cap() -> Problem {
    Problem::new(
        "text_cap",
        format!("Seuls les {} premiers caractères du texte ont été gardés.", super::MAX_TEXT_CHARS),
    )
}
