# Installs what OCR needs, when missing: Tesseract with its French model, and poppler's pdftoppm
# (Debian packages). Sourced by the test command.
install_ocr_tools() {
  if command -v pdftoppm >/dev/null && tesseract --list-langs 2>/dev/null | grep -qx fra; then
    return 0
  fi
  echo "== installing tesseract-ocr, tesseract-ocr-fra and poppler-utils"
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q tesseract-ocr tesseract-ocr-fra poppler-utils \
    || { $sudo apt-get update -q && $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
      tesseract-ocr tesseract-ocr-fra poppler-utils; }
}
