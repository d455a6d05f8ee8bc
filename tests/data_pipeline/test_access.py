"""Accounts in the access file, and the audit trail with its hash chain."""

from __future__ import annotations

import io
import json
import stat

import pytest

from app import main
from data_pipeline.access import AccessError, AccessFile, scope_of
from data_pipeline.audit import AuditLog

PASSWORD = "correct horse battery"


def users(capsys, warehouse, access, *args, password: str | None = None, monkeypatch=None) -> tuple[int, str, str]:
    if password is not None:
        monkeypatch.setattr("sys.stdin", io.StringIO(password + "\n"))
    code = main(["--warehouse", str(warehouse), "--access", str(access), "users", *args])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_users_are_added_listed_changed_and_removed_from_the_command_line(capsys, monkeypatch, tmp_path,
                                                                           tiny_warehouse_path):
    access = tmp_path / "access.json"
    code, out, _ = users(capsys, tiny_warehouse_path, access, "add", "anna", "--role", "riec", "--area", "RE01",
                         "--password-stdin", password=PASSWORD, monkeypatch=monkeypatch)
    assert code == 0 and "added anna (riec, RE01)" in out
    assert users(capsys, tiny_warehouse_path, access, "add", "gijs", "--role", "gemeente", "--area", "GM0002",
                 "--password-stdin", password=PASSWORD, monkeypatch=monkeypatch)[0] == 0
    code, out, _ = users(capsys, tiny_warehouse_path, access, "list")
    assert code == 0 and out.splitlines()[0].split()[:3] == ["anna", "riec", "RE01"]
    assert "Regio Een" in out and "Gemeente 2" in out           # the organisation: the area's name
    # the file: owner-only, an Argon2id hash, never the password
    assert stat.S_IMODE(access.stat().st_mode) == 0o600
    text = access.read_text()
    assert PASSWORD not in text and json.loads(text)["users"]["anna"]["password_hash"].startswith("$argon2id$")
    assert AccessFile(access).verify("anna", PASSWORD).role == "riec"
    assert users(capsys, tiny_warehouse_path, access, "passwd", "anna", "--password-stdin",
                 password="another long password", monkeypatch=monkeypatch)[0] == 0
    assert AccessFile(access).verify("anna", PASSWORD) is None
    assert AccessFile(access).verify("anna", "another long password") is not None
    assert users(capsys, tiny_warehouse_path, access, "remove", "gijs")[0] == 0
    assert [u.name for u in AccessFile(access).users()] == ["anna"]
    # and every change is in the audit trail
    events = AuditLog(tmp_path / "access.audit.jsonl").read()
    assert events["action"].tolist() == ["user.add", "user.add", "user.passwd", "user.remove"]


@pytest.mark.parametrize("args, message", [
    (["add", "anna", "--role", "riec", "--password-stdin"], "needs --area REnn"),
    (["add", "anna", "--role", "gemeente", "--area", "RE01", "--password-stdin"], "needs --area GMxxxx"),
    (["add", "anna", "--role", "liec", "--area", "RE01", "--password-stdin"], "give no --area"),
    (["add", "Anna Smit", "--role", "liec", "--password-stdin"], "lower-case"),
    (["add", "anna", "--role", "gemeente", "--area", "GM9999", "--password-stdin"], "not in the warehouse"),
    (["add", "anna", "--role", "liec"], "--password-stdin"),
    (["remove", "nobody"], "no user 'nobody'"),
])
def test_bad_user_commands_are_refused_with_a_reason(capsys, monkeypatch, tmp_path, tiny_warehouse_path, args, message):
    code, _, err = users(capsys, tiny_warehouse_path, tmp_path / "a.json", *args, password=PASSWORD,
                         monkeypatch=monkeypatch)
    assert code == 2 and message in err


def test_a_short_password_or_a_second_user_of_the_same_name_is_refused(tmp_path):
    access = AccessFile(tmp_path / "a.json")
    with pytest.raises(AccessError, match="at least 12"):
        access.add("anna", "liec", "short")
    access.add("anna", "liec", PASSWORD)
    with pytest.raises(AccessError, match="exists"):
        access.add("anna", "liec", PASSWORD)


def test_roles_give_their_scopes(tmp_path):
    access = AccessFile(tmp_path / "a.json")
    liec = scope_of(access.add("li", "liec", PASSWORD))
    riec = scope_of(access.add("ri", "riec", PASSWORD, "RE01"))
    gemeente = scope_of(access.add("gm", "gemeente", PASSWORD, "GM0002"))
    beheerder = scope_of(access.add("bh", "beheerder", PASSWORD))
    buurt_in_re01 = ["NL01", "RE01", "GM0001", "WK000101", "BU00010101"]
    buurt_in_gm2 = ["NL01", "RE01", "GM0002", "WK000201", "BU00020101"]
    gemeente_in_re02 = ["NL01", "RE02", "GM0003"]
    assert all(liec.allows(x) for x in (buurt_in_re01, buurt_in_gm2, gemeente_in_re02))
    assert riec.allows(buurt_in_re01) and riec.allows(buurt_in_gm2) and riec.allows(gemeente_in_re02)
    assert not riec.allows(["NL01", "RE02", "GM0003", "WK000301"])
    assert gemeente.allows(buurt_in_gm2) and not gemeente.allows(buurt_in_re01) and gemeente.allows(gemeente_in_re02)
    assert not beheerder.allows(buurt_in_re01) and beheerder.allows(gemeente_in_re02)
    assert riec.allows_view("gemeente", ["NL01", "RE02"]) and not riec.allows_view("wijk", ["NL01", "RE02", "GM0003"])


def test_the_audit_chain_notices_an_edited_inserted_or_removed_line(tmp_path, capsys):
    log = AuditLog(tmp_path / "a.audit.jsonl")
    for i in range(4):
        log.append(user=f"u{i}", role="riec", scope="RE01", action="map", object=f"/kaart/wijk/GM000{i}",
                   address="127.0.0.1", result="ok" if i % 2 else "denied")
    assert log.verify() == []
    assert stat.S_IMODE(log.path.stat().st_mode) == stat.S_IMODE(log.head.stat().st_mode) == 0o600
    assert main(["--access", str(tmp_path / "a.json"), "audit", "--verify"]) == 0
    assert "intact" in capsys.readouterr().out
    assert log.read(user="u1")["object"].tolist() == ["/kaart/wijk/GM0001"]
    assert len(log.read(since="2000-01-01")) == 4 and len(log.read(since="2999-01-01")) == 0
    assert main(["--access", str(tmp_path / "a.json"), "audit", "--format", "json", "--action", "map"]) == 0
    assert [json.loads(line)["user"] for line in capsys.readouterr().out.splitlines()] == ["u0", "u1", "u2", "u3"]
    good = log.path.read_bytes()
    lines = good.splitlines(keepends=True)

    for broken in (good.replace(b'"denied"', b'"ok"', 1),       # an edit
                   b"".join(lines[:1] + lines[2:]),              # a line removed
                   b"".join(lines[:-1]),                         # the last line removed
                   b"".join(lines[:2] + lines[1:2] + lines[2:])):  # a line repeated
        log.path.write_bytes(broken)
        assert log.verify(), broken
        assert main(["--access", str(tmp_path / "a.json"), "audit", "--verify"]) == 1
        assert "the chain is broken" in capsys.readouterr().out
    log.path.write_bytes(good)
    assert log.verify() == []
