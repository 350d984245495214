# Installs the SMTP server the mail tests talk to (PyPI `aiosmtpd`: a real SMTP server that
# keeps what it receives in a maildir), in a virtual environment under the cache folder, when
# missing. Sourced by the test command; exports PIECES_AIOSMTPD_PYTHON, the interpreter that runs
# it (`python -m aiosmtpd`) and reads the messages back (the standard `email` module).
install_mail_tools() {
  install_venv "$PIECES_CACHE/smtp-venv" 'import aiosmtpd' aiosmtpd==1.4.6 || return 1
  export PIECES_AIOSMTPD_PYTHON="$PIECES_CACHE/smtp-venv/bin/python"
}
