//! One `Config` for every command that touches data: where the data lives (`--data-dir`), the
//! database (`--database-url`), the object store (local folder, or S3 with `--s3-*`) and limits.
//! Every flag also reads `PIECES_<FLAG>`; S3 credentials come from `AWS_ACCESS_KEY_ID` and
//! `AWS_SECRET_ACCESS_KEY`, and are never printed.

use std::path::PathBuf;

use secrecy::{ExposeSecret, SecretString};

#[derive(clap::Args, Clone)]
pub struct Config {
    /// Folder holding `storage/` (database file, blobs) and `index/`.
    #[arg(long, env = "PIECES_DATA_DIR", default_value = ".")]
    pub data_dir: PathBuf,

    /// `sqlite://…` or `postgres://…`; default: the SQLite file `storage/pieces.db`.
    #[arg(long, env = "PIECES_DATABASE_URL")]
    pub database_url: Option<String>,

    /// S3 endpoint (e.g. `http://127.0.0.1:8333`); without it, blobs are local files.
    #[arg(long, env = "PIECES_S3_ENDPOINT")]
    pub s3_endpoint: Option<String>,

    /// S3 bucket holding the blobs.
    #[arg(long, env = "PIECES_S3_BUCKET", default_value = "documents")]
    pub s3_bucket: String,

    /// S3 region (Garage wants `garage`).
    #[arg(long, env = "PIECES_S3_REGION", default_value = "us-east-1")]
    pub s3_region: String,

    /// Prefix of every blob key in the bucket (e.g. `pieces/`), to share a bucket.
    #[arg(long, env = "PIECES_S3_PREFIX", default_value = "")]
    pub s3_prefix: String,

    /// Largest accepted upload, e.g. `25MiB`, `200MB`, `1048576`.
    #[arg(long, env = "PIECES_MAX_UPLOAD", default_value = "25MiB", value_parser = parse_size)]
    pub max_upload: u64,

    /// OCR of scans with Tesseract (French): `auto` (on when `tesseract` with the `fra` model
    /// is found) or `off`.
    #[arg(long, env = "PIECES_OCR", default_value = "auto", value_parser = ["auto", "off"])]
    pub ocr: String,

    /// Background workers that read and classify pieces (default: cores − 1, at least 1; 0 for
    /// a process that only serves the API while others do the work).
    #[arg(long, env = "PIECES_WORKERS")]
    pub workers: Option<usize>,

    /// The address people open in their browser: the links of invitations and password resets
    /// start with it, and session cookies are `Secure` when it is `https://`.
    #[arg(long, env = "PIECES_PUBLIC_URL", default_value = "http://127.0.0.1:8080")]
    pub public_url: String,

    /// The SMTP relay that sends the password-reset links, e.g. `smtps://user:password@smtp.opco.fr`
    /// (TLS), `smtp://relay.opco.fr:587?tls=required` (STARTTLS) or `smtp://127.0.0.1:25` (a relay
    /// on this machine). Without it, the operator gives the link (`pieces admin reset-link`).
    /// Never printed.
    #[arg(long, env = "PIECES_SMTP_URL", value_parser = parse_secret)]
    pub smtp_url: Option<SecretString>,

    /// The sender of that mail.
    #[arg(long, env = "PIECES_MAIL_FROM", default_value = "Mon Compte <ne-pas-repondre@localhost>")]
    pub mail_from: String,

    /// The OPCO the invoices are addressed to.
    #[command(flatten)]
    pub opco: crate::domain::opco::Opco,

    #[arg(skip)]
    pub s3_credentials: Option<S3Credentials>,

    /// The `pieces` executable run as the sandboxed PDF reader (default: this executable).
    #[arg(skip)]
    pub helper_exe: Option<PathBuf>,

    /// How long a client may take (tests shorten them).
    #[arg(skip)]
    pub timeouts: crate::serve::Timeouts,
}

/// Static S3 credentials, read from the standard AWS variables.
#[derive(Clone)]
pub struct S3Credentials {
    pub access_key_id: String,
    pub secret_access_key: SecretString,
}

impl Config {
    /// A configuration with every default, rooted at `data_dir` (tests and tools).
    pub fn embedded(data_dir: impl Into<PathBuf>) -> Config {
        Config {
            data_dir: data_dir.into(),
            database_url: None,
            s3_endpoint: None,
            s3_bucket: "documents".into(),
            s3_region: "us-east-1".into(),
            s3_prefix: String::new(),
            max_upload: 25 * 1024 * 1024,
            ocr: "auto".into(),
            workers: None,
            public_url: "http://127.0.0.1:8080".into(),
            smtp_url: None,
            mail_from: "Mon Compte <ne-pas-repondre@localhost>".into(),
            opco: Default::default(),
            s3_credentials: None,
            helper_exe: None,
            timeouts: Default::default(),
        }
    }

    /// Fills what the flags do not carry: credentials from the environment.
    pub fn with_env_credentials(mut self) -> Config {
        if self.s3_credentials.is_none() {
            if let (Ok(id), Ok(secret)) = (std::env::var("AWS_ACCESS_KEY_ID"), std::env::var("AWS_SECRET_ACCESS_KEY")) {
                self.s3_credentials = Some(S3Credentials { access_key_id: id, secret_access_key: secret.into() });
            }
        }
        self
    }

    /// `public_url` without its trailing slash.
    pub fn public_base(&self) -> &str {
        self.public_url.trim_end_matches('/')
    }

    pub fn storage_dir(&self) -> PathBuf {
        self.data_dir.join("storage")
    }

    pub fn index_dir(&self) -> PathBuf {
        self.data_dir.join("index")
    }

    pub fn worker_count(&self) -> usize {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        self.workers.unwrap_or(cores.saturating_sub(1).max(1))
    }

    pub fn database_url(&self) -> String {
        match &self.database_url {
            Some(url) => url.clone(),
            None => format!("sqlite://{}?mode=rwc", self.storage_dir().join("pieces.db").display()),
        }
    }
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("data_dir", &self.data_dir)
            .field("database", &redact_url(&self.database_url()))
            .field("s3_endpoint", &self.s3_endpoint)
            .field("s3_bucket", &self.s3_bucket)
            .field("s3_region", &self.s3_region)
            .field("s3_prefix", &self.s3_prefix)
            .field("max_upload", &self.max_upload)
            .field("s3_access_key_id", &self.s3_credentials.as_ref().map(|c| &c.access_key_id))
            .field("smtp_url", &self.smtp_url.as_ref().map(|url| redact_url(url.expose_secret())))
            .finish_non_exhaustive()
    }
}

/// A flag's value kept out of logs and `Debug` output.
fn parse_secret(value: &str) -> Result<SecretString, String> {
    Ok(SecretString::from(value))
}

/// `postgres://user:secret@host/db?password=x` → `postgres://user:***@host/db?password=***`.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let (authority, query) = match rest.split_once('?') {
        Some((authority, query)) => (authority, Some(query)),
        None => (rest, None),
    };
    let authority = match authority.rsplit_once('@') {
        Some((userinfo, host)) if userinfo.contains(':') => {
            format!("{}:***@{host}", userinfo.split(':').next().unwrap_or(""))
        }
        _ => authority.to_string(),
    };
    let query = query.map(|query| {
        let pairs: Vec<String> = query
            .split('&')
            .map(|pair| match pair.split_once('=') {
                Some((key, _)) if key.to_ascii_lowercase().contains("password") => format!("{key}=***"),
                _ => pair.to_string(),
            })
            .collect();
        format!("?{}", pairs.join("&"))
    });
    format!("{scheme}://{authority}{}", query.unwrap_or_default())
}

/// Parses `1048576`, `512KiB`, `25MiB`, `1GiB`, `200KB`, `20MB`.
pub fn parse_size(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let split = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (digits, unit) = text.split_at(split);
    let n: u64 = digits.parse().map_err(|_| format!("not a size: {text:?}"))?;
    let factor: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "kb" => 1_000,
        "kib" | "k" => 1 << 10,
        "mb" => 1_000_000,
        "mib" | "m" => 1 << 20,
        "gb" => 1_000_000_000,
        "gib" | "g" => 1 << 30,
        other => return Err(format!("unknown size unit {other:?} (use KiB, MiB, GiB, KB, MB, GB)")),
    };
    n.checked_mul(factor).ok_or_else(|| format!("size too large: {text:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_with_binary_and_decimal_units() {
        assert_eq!(parse_size("25MiB"), Ok(25 * 1024 * 1024));
        assert_eq!(parse_size("200KB"), Ok(200_000));
        assert_eq!(parse_size("1048576"), Ok(1_048_576));
        assert!(parse_size("12 parsecs").is_err());
        assert!(parse_size("MiB").is_err());
    }

    #[test]
    fn database_passwords_are_redacted() {
        assert_eq!(redact_url("postgres://app:hunter2@db:5432/pieces"), "postgres://app:***@db:5432/pieces");
        let mut config = Config::embedded("/data");
        config.database_url = Some("postgres://app:hunter2@db/pieces".into());
        config.smtp_url = Some(SecretString::from("smtps://mail:swordfish@smtp.example.fr"));
        let printed = format!("{config:?}");
        assert!(!printed.contains("hunter2") && !printed.contains("swordfish"), "{printed}");
        assert!(printed.contains("smtps://mail:***@smtp.example.fr"), "{printed}");
    }
}
