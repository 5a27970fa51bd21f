"""The egress proxy's caps per run (defaults: 16 connections at once, 256 in all, 64 MiB both directions):
a flood of 300 connections and an endless download, through `omega-exec jail --egress … --json`. The run
itself ends normally; the records are capped too (at most 256)."""

from __future__ import annotations

from internet import ALLOWED_IP

MAX_CONCURRENT = 16
MAX_CONNECTIONS = 256
MAX_BYTES = 64 << 20


def test_a_flood_of_connections_is_capped_and_the_run_ends_normally(appliance, mark) -> None:
    held = 20
    verdict, results = appliance.jail(["allowed.test:80"], [
        {"op": "hold", "count": held, "send": "CONNECT allowed.test:80 HTTP/1.1\r\nHost: allowed.test:80\r\n\r\n"},
        {"op": "sleep", "seconds": 0.5},
        {"op": "repeat", "count": 300 - held,
         "send": "GET http://allowed.test/echo HTTP/1.1\r\nHost: allowed.test\r\n\r\n"},
    ], timeout=120)
    hold, _, repeat = results
    held_answers = [(a["status"], a["reason"]) for a in hold["answers"]]
    assert held_answers.count((200, None)) == MAX_CONCURRENT, held_answers
    assert held_answers.count((429, "connection_cap")) == held - MAX_CONCURRENT, held_answers

    answers = [(a["status"], a["reason"]) for a in repeat["answers"]]
    allowed = answers.count((200, None))
    # Refused connections count toward the run's total too: 20 held + the allowed ones = 256. Once the
    # total is reached the run's socket stops listening, so every later connection is closed by the
    # jail's relay without an answer (the proxy spends nothing on them).
    assert allowed == MAX_CONNECTIONS - held, answers
    assert answers[: allowed] == [(200, None)] * allowed, answers
    assert all(status is None for status, _ in answers[allowed:]), f"closed without an answer: {set(answers[allowed:])}"

    records = verdict["egress"]
    assert 0 < len(records) <= MAX_CONNECTIONS, f"{len(records)} records"
    assert any(r["reason"] == "connection_cap" and r["verdict"] == "refused" for r in records)
    requests = [r for r in mark.web() if r["event"] == "request" and r["target"] == "/echo"]
    assert len(requests) == allowed, "every allowed request arrived, no refused one did"


def test_a_download_past_the_byte_cap_is_cut_and_later_connections_refused(appliance, mark) -> None:
    verdict, results = appliance.jail(["infinite.test:80", "allowed.test:80"], [
        {"op": "proxy", "send": "GET http://infinite.test/ HTTP/1.1\r\nHost: infinite.test\r\n\r\n",
         "max": 2 * MAX_BYTES, "timeout": 30},
        {"op": "proxy", "send": "GET http://allowed.test/ HTTP/1.1\r\nHost: allowed.test\r\n\r\n"},
    ], timeout=90)
    stream, after = results
    assert stream["status"] == 200 and stream["ended"] == "closed", {k: v for k, v in stream.items() if k != "body"}
    assert MAX_BYTES - (1 << 20) <= stream["count"] <= MAX_BYTES + (1 << 20), stream["count"]
    assert after["status"] == 403 and after["headers"].get("x-omega-egress") == "byte_cap", after

    records = verdict["egress"]
    cut = [r for r in records if r["host"] == "infinite.test"]
    assert len(cut) == 1 and cut[0]["verdict"] == "allowed" and cut[0]["reason"] == "byte_cap", cut
    assert cut[0]["bytesDown"] + cut[0]["bytesUp"] <= MAX_BYTES + (1 << 20)
    refused = [r for r in records if r["host"] == "allowed.test"]
    assert len(refused) == 1 and refused[0]["verdict"] == "refused" and refused[0]["reason"] == "byte_cap"
    assert [r for r in mark.web() if r["event"] == "request" and r["site"] == "allowed.test"] == []
    assert [r["local"] for r in mark.web() if r["event"] == "request"] == [ALLOWED_IP]
