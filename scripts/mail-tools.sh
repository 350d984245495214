# Installs the SMTP server the mail tests talk to (PyPI `aiosmtpd`: a real SMTP server that
# keeps what it receives in a maildir), in a virtual environment under the cache folder, when
# missing. Sourced by the test command; exports PIECES_AIOSMTPD_PYTHON, the interpreter that runs
# it (`python -m aiosmtpd`) and reads the messages back (the standard `email` module).
install_mail_tools() {
  local venv="$PIECES_CACHE/smtp-venv"
  local wanted="aiosmtpd==1.4.6"
  if ! "$venv/bin/python" -c 'import aiosmtpd' 2>/dev/null; then
    echo "== installing the SMTP server for the mail tests ($wanted) in $venv"
    rm -rf "$venv"
    python3 -m venv "$venv" && "$venv/bin/pip" install -q $wanted || return 1
  fi
  export PIECES_AIOSMTPD_PYTHON="$venv/bin/python"
}
