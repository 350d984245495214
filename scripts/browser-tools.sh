# Installs what the browser tests need, when missing: Debian's chromium and chromium-driver, and
# axe-core (npm, pinned) in the cache. Sourced by the test command; exports PIECES_AXE_JS.
AXE_VERSION=4.14.1

install_browser_tools() {
  if ! command -v chromedriver >/dev/null || ! [ -x /usr/bin/chromium ]; then
    echo "== installing chromium and chromium-driver"
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium chromium-driver \
      || { $sudo apt-get update -q && $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
        chromium chromium-driver; } || return 1
  fi
  local node_dir="$PIECES_CACHE/node"
  export PIECES_AXE_JS="$node_dir/node_modules/axe-core/axe.min.js"
  if ! grep -q "\"version\": \"$AXE_VERSION\"" "$node_dir/node_modules/axe-core/package.json" 2>/dev/null; then
    echo "== installing axe-core $AXE_VERSION"
    mkdir -p "$node_dir"
    (cd "$node_dir" && npm install --silent --no-audit --no-fund "axe-core@$AXE_VERSION") || return 1
  fi
  [ -f "$PIECES_AXE_JS" ]
}
