#!/usr/bin/env bash
# Smoke test of the package as users get it: packs this checkout with `npm pack` (prepack builds
# dist/), installs only the tarball into an empty app (dependencies come from the registry) and
# runs the preload, the client API, the CLI and an OTLP export from there. The build tree is not
# on the app's resolution path, so whatever the tarball lacks fails here.
# Usage: bash test/package/smoke.sh   (npm run test:pack)
set -uo pipefail

root="$(cd "$(dirname "$0")/../.." && pwd)"
here="$root/test/package"
work="$(mktemp -d)"
app="$work/app"
# prepack replaces dist/ with the product-only build; the checkout's own dist/ (with the compiled
# tests that later CI steps run) waits here and is put back afterwards.
saved="$root/.tmp/dist-before-pack.$$"
passed=0
failed=0

# The machine's telemetry settings must not steer the apps under test.
for v in $(compgen -e); do
  case "$v" in OTEL_* | AGENTOPS_* | NODE_OPTIONS) unset "$v" ;; esac
done

restore_dist() {
  [ -d "$saved" ] || return 0
  rm -rf "$root/dist"
  if [ -e "$saved/dist" ]; then mv "$saved/dist" "$root/dist"; fi
  rmdir "$saved" "$root/.tmp" 2>/dev/null || true
}

cleanup() {
  restore_dist
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

finish() {
  echo "pack smoke: $passed passed, $failed failed"
  exit $((failed > 0))
}

# step <label> <function>: runs the function under `set -e` in a subshell, its output in a log
# that is shown only on failure; a function may leave a one-line note in $work/note. Never call
# step as a condition (`if step`, `step || …`): bash then ignores `set -e` in everything it runs.
step() {
  local label="$1" log="$work/step.log" rc
  rm -f "$work/note"
  (set -e; "$2") >"$log" 2>&1
  rc=$?
  if [ "$rc" -eq 0 ]; then
    passed=$((passed + 1))
    local extra=""
    if [ -s "$work/note" ]; then extra=" — $(cat "$work/note")"; fi
    echo "ok    $label$extra"
  else
    failed=$((failed + 1))
    echo "FAIL  $label (exit $rc)"
    sed 's/^/      /' "$log"
  fi
  return "$rc"
}

# A step the later ones cannot do without: stop at its failure.
setup_step() {
  step "$@"
  [ $? -eq 0 ] || finish
}

note() { printf '%s' "$*" >"$work/note"; }

# Runs node in the app folder, with a bound on time so that a hang fails instead of stalling CI.
in_app() { (cd "$app" && timeout 120 "$@"); }

pack() {
  if [ -e "$root/dist" ]; then
    mkdir -p "$saved"
    mv "$root/dist" "$saved/dist"
  else
    mkdir -p "$saved"
  fi
  (cd "$root" && npm pack --pack-destination "$work" --loglevel=warn)
  restore_dist
  local tarball
  tarball="$(ls "$work"/agentops-otel-*.tgz)"
  tar -tzf "$tarball" | sed 's|^package/||' | sort >"$work/contents"
  local f missing=0
  for f in package.json README.md LICENSE register.mjs schema.sql dist/register.js dist/register.d.ts \
    dist/src/index.js dist/src/index.d.ts dist/src/cli/main.js dist/src/preload/esm-loader.mjs \
    dist/src/engine/worker.js dist/src/engine/replay-helper-main.js dist/instrumentations/index.js dist/examples/multi-agent.js; do
    grep -qxF "$f" "$work/contents" || { echo "missing from the tarball: $f"; missing=1; }
  done
  # Only the product build ships: no tests, benchmarks, TypeScript sources or source maps.
  if grep -E '^dist/(test|bench)/|\.map$|\.tsbuildinfo$|(^|/)[^/]+(\.ts|\.mts)$' "$work/contents" | grep -vE '\.d\.(ts|mts)$'; then
    echo "the tarball ships files it should not (above)"
    missing=1
  fi
  [ "$missing" -eq 0 ]
  note "$(basename "$tarball"), $(wc -l <"$work/contents") files, $(($(stat -c %s "$tarball") / 1024)) KiB"
}

install() {
  mkdir "$app"
  cp "$here/app.cjs" "$here/app.mjs" "$here/scenario.cjs" "$app/"
  (cd "$app" && npm init -y >/dev/null && npm install --no-audit --no-fund --loglevel=warn "$work"/agentops-otel-*.tgz)
  test -f "$app/node_modules/agentops-otel/dist/register.js"
}

one_otel_version() {
  # npm ls exits non-zero on a missing or invalid dependency: that fails the step too.
  (cd "$app" && npm ls --all --json) >"$work/ls.json"
  node - "$work/ls.json" "$work/note" <<'EOF'
const fs = require('node:fs');
const tree = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const versions = new Map();
(function walk(deps) {
  for (const [name, d] of Object.entries(deps ?? {})) {
    if (name.startsWith('@opentelemetry/') && d.version) versions.set(name, (versions.get(name) ?? new Set()).add(d.version));
    walk(d.dependencies);
  }
})(tree.dependencies);
const dup = [...versions].filter(([, v]) => v.size > 1);
for (const [name, v] of [...versions].sort()) console.log(`${name} ${[...v].join(', ')}`);
if (versions.size === 0) { console.error('no @opentelemetry/* package in the install'); process.exit(1); }
if (dup.length > 0) { console.error(`more than one version of: ${dup.map(([n]) => n).join(', ')}`); process.exit(1); }
fs.writeFileSync(process.argv[3], `${versions.size} @opentelemetry/* packages, one version each`);
EOF
}

# A preload step passes when the app exits 0, the preload says it started, its exit summary counts
# the session's span (so it patched the very client the app loaded) and it logged no error.
preload_run() {
  in_app env AGENTOPS_EXPORTERS=none AGENTOPS_LOG_LEVEL=debug node "$@" >"$work/out" 2>"$work/err" || {
    echo "exit code $?"; cat "$work/out" "$work/err"; return 1
  }
  cat "$work/out" "$work/err"
  grep -q '"agentops-otel started"' "$work/err" || { echo "the preload did not start"; return 1; }
  grep -qE '"msg":"shutdown summary".*"session":1[,}]' "$work/err" || { echo "the preload traced no session"; return 1; }
  if grep -q '"level":"error"' "$work/err"; then echo "the preload logged an error"; return 1; fi
}

preload_require() { preload_run --require agentops-otel/register app.cjs; }
preload_import() { preload_run --import agentops-otel/register app.mjs; }

client_cjs() {
  in_app node app.cjs | tee "$work/out"
  grep -q '"flavour":"cjs"' "$work/out"
}

client_esm() {
  in_app node app.mjs | tee "$work/out"
  grep -q '"flavour":"esm"' "$work/out"
}

cli() {
  # Without the bin in node_modules/.bin, npx would go looking for the package in the registry.
  test -x "$app/node_modules/.bin/agentops-otel"
  in_app npx agentops-otel --help | tee "$work/out"
  grep -q '^Usage: agentops-otel <command>' "$work/out"
  local version expected
  version="$(in_app npx agentops-otel --version)"
  expected="$(node -p "require('$app/node_modules/agentops-otel/package.json').version")"
  [ "$version" = "$expected" ] || { echo "--version printed '$version', expected '$expected'"; return 1; }
  note "version $version"
}

demo_example() {
  # `agentops-otel demo` runs this file under dist/register.js; it must run from the install.
  in_app env AGENTOPS_EXPORTERS=none node --require agentops-otel/register node_modules/agentops-otel/dist/examples/multi-agent.js
}

otlp_export() {
  timeout 180 node "$here/otlp-check.cjs" "$app" | tee "$work/out"
  note "$(tail -n 1 "$work/out")"
}

echo "== pack smoke: node $(node --version), npm $(npm --version), in $work"
setup_step "npm pack builds dist/ and ships it (and nothing of the test build)" pack
setup_step "npm install <tarball> into an empty app" install
step "one version of each @opentelemetry/* package (npm ls --all)" one_otel_version
step "node --require agentops-otel/register app.cjs" preload_require
step "node --import agentops-otel/register app.mjs" preload_import
step "client API from CommonJS: require('agentops-otel')" client_cjs
step "client API from ESM: import { init } from 'agentops-otel'" client_esm
step "npx agentops-otel --help / --version" cli
step "the demo's example app runs from the installed package" demo_example
step "a session reaches a loopback OTLP/HTTP receiver (http/json)" otlp_export
finish
