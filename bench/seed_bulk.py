"""Bulk-insert synthetic families and transactions into a SCRATCH backend database.

    .venv/rasa/bin/python -m bench.seed_bulk --url sqlite:///var/bench/x.sqlite3 --people 100000
    .venv/rasa/bin/python -m bench.seed_bulk --url postgresql://postgres@127.0.0.1:5432/sz_bench_growth --people 100000

The schema must exist (`python -m sz_backend.cli migrate` with DATABASE_URL).
Rows are appended: one family = a guardian (account, bearer token, one
employee pension enrolment) and two children (active children's medical
insurance, so "给孩子停保" offers a choice); plus one transaction per person.
So `--people N` adds N people, N enrolments, 2N/3 guardian links, N/3 accounts
and tokens, and N transactions. Tokens are `bench-<person id>` (scratch data:
never point this at a real database; it refuses URLs whose database name does
not contain "bench" or "scaleout").

SQLite: executemany in one transaction; PostgreSQL: COPY (psycopg2), then the
id sequences are moved past the inserted ids and the tables analysed.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import json
import sqlite3
import time
from datetime import date, datetime, timedelta, timezone
from typing import Any, Dict, Iterator, List, Sequence, Tuple

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
AREA = "440399"  # not used by the demo people
TABLES = ("people", "enrolments", "guardian_links", "user_accounts", "auth_tokens", "transactions")
ITEM_CODES = (
    "stop_child_insurance",
    "change_enrollment_info",
    "query_contributions",
    "self_service_payment",
    "transfer_pension_out",
    "maintain_payment_bank",
    "print_insurance_certificate",
)
# Not a usable password hash: bulk accounts never log in, they use their pre-issued token.
DUMMY_HASH = "$argon2id$v=19$m=65536,t=3,p=4$YmVuY2hiZW5jaGJlbmNo$Zm9yYmVuY2htYXJrc29ubHlub3RhcGFzc3dvcmQ"


def id_number(person_id: int, birth: date) -> str:
    first17 = f"{AREA}{birth:%Y%m%d}{person_id % 1000:03d}"
    total = sum(int(c) * w for c, w in zip(first17, WEIGHTS, strict=True))
    return first17 + "10X98765432"[total % 11]


def token_for(guardian_id: int) -> str:
    return f"bench-{guardian_id}"


def _birth(base: date, person_id: int) -> date:
    return base + timedelta(days=person_id // 1000)  # (date, person_id % 1000) is unique per id


class Sink:
    """Writes rows to SQLite (executemany) or PostgreSQL (COPY), by each table's real columns."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.pg = url.startswith("postgres")
        if self.pg:
            import psycopg2

            rest = url.split("://", 1)[1]
            userhost, db = rest.rsplit("/", 1)
            user, hostport = userhost.split("@", 1) if "@" in userhost else ("postgres", userhost)
            host, port = (hostport.split(":") + ["5432"])[:2]
            self.conn = psycopg2.connect(host=host, port=int(port), user=user, dbname=db)
        else:
            path = url.split("sqlite:///", 1)[1]
            self.conn = sqlite3.connect(path, timeout=60)
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute("PRAGMA synchronous=OFF")
        self.columns: Dict[str, List[str]] = {t: self._columns(t) for t in TABLES}

    def _columns(self, table: str) -> List[str]:
        cur = self.conn.cursor()
        if self.pg:
            cur.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name = %s ORDER BY ordinal_position",
                (table,),
            )
            cols = [r[0] for r in cur.fetchall()]
        else:
            cols = [r[1] for r in cur.execute(f"PRAGMA table_info({table})").fetchall()]
        if not cols:
            raise SystemExit(f"seed_bulk: table {table} is missing: run `sz_backend.cli migrate` first")
        return cols

    def max_id(self, table: str) -> int:
        cur = self.conn.cursor()
        cur.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}")
        return int(cur.fetchone()[0])

    def count(self, table: str) -> int:
        cur = self.conn.cursor()
        cur.execute(f"SELECT COUNT(*) FROM {table}")
        return int(cur.fetchone()[0])

    def _value(self, v: Any) -> Any:
        if isinstance(v, (dict, list)):
            return json.dumps(v)
        if self.pg:
            return v
        if isinstance(v, datetime):
            return v.astimezone(timezone.utc).replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")
        if isinstance(v, date):
            return v.isoformat()
        if isinstance(v, bool):
            return int(v)
        return v

    def write(self, table: str, rows: Sequence[Dict[str, Any]]) -> None:
        cols = self.columns[table]
        tuples = [tuple(self._value(r.get(c)) for c in cols) for r in rows]
        if self.pg:
            buf = io.StringIO()
            w = csv.writer(buf, lineterminator="\n")
            for t in tuples:
                w.writerow(
                    [
                        "\\N"
                        if v is None
                        else (
                            "t"
                            if v is True
                            else "f"
                            if v is False
                            else v.isoformat()
                            if isinstance(v, (date, datetime))
                            else v
                        )
                        for v in t
                    ]
                )
            buf.seek(0)
            with self.conn.cursor() as cur:
                cur.copy_expert(f"COPY {table} ({', '.join(cols)}) FROM STDIN WITH (FORMAT csv, NULL '\\N')", buf)
        else:
            marks = ", ".join("?" for _ in cols)
            self.conn.executemany(f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({marks})", tuples)

    def finish(self) -> None:
        self.conn.commit()
        if self.pg:
            self.conn.autocommit = True
            with self.conn.cursor() as cur:
                for t in TABLES:
                    cur.execute(f"SELECT setval(pg_get_serial_sequence('{t}', 'id'), (SELECT MAX(id) FROM {t}))")
                    cur.execute(f"ANALYZE {t}")
        else:
            self.conn.execute("ANALYZE")
            self.conn.commit()
        self.conn.close()


def families(
    start_person: int, start_ids: Dict[str, int], n_families: int, now: datetime
) -> Iterator[Tuple[str, Dict[str, Any]]]:
    """Rows of n_families families, as (table, row), ids continuing after the existing ones."""
    pid, eid, lid, aid, tid = (
        start_person,
        start_ids["enrolments"],
        start_ids["guardian_links"],
        start_ids["user_accounts"],
        start_ids["auth_tokens"],
    )
    expires = now + timedelta(days=3650)
    for _ in range(n_families):
        g = pid = pid + 1
        kids = [pid + 1, pid + 2]
        pid += 2
        gb = _birth(date(1975, 1, 1), g)
        yield (
            "people",
            {
                "id": g,
                "id_number": id_number(g, gb),
                "name": f"测试{g}",
                "gender": "F",
                "birth_date": gb,
                "phone": f"139{g % 100000000:08d}",
                "address": None,
                "hukou_category": "shenzhen",
                "settle_in_date": date(2010, 1, 1),
                "retirement_group": "female_55",
                "is_retired": False,
                "in_school": False,
                "school_name": None,
                "first_insured_on": date(2012, 1, 1),
                "prior_contribution_months": 60,
                "extended_months": 0,
                "created_at": now,
            },
        )
        eid += 1
        yield (
            "enrolments",
            {
                "id": eid,
                "person_id": g,
                "insurance": "pension",
                "scheme": "employee",
                "status": "active",
                "medical_tier": None,
                "pension_grade": None,
                "base_fen": 600000,
                "start_month": "2012-01",
                "end_month": None,
            },
        )
        for k in kids:
            kb = _birth(date(2018, 1, 1), k)
            yield (
                "people",
                {
                    "id": k,
                    "id_number": id_number(k, kb),
                    "name": f"测试童{k}",
                    "gender": "M",
                    "birth_date": kb,
                    "phone": None,
                    "address": None,
                    "hukou_category": "shenzhen",
                    "settle_in_date": kb + timedelta(days=30),
                    "retirement_group": "male_60",
                    "is_retired": False,
                    "in_school": False,
                    "school_name": None,
                    "first_insured_on": kb + timedelta(days=60),
                    "prior_contribution_months": 0,
                    "extended_months": 0,
                    "created_at": now,
                },
            )
            eid += 1
            yield (
                "enrolments",
                {
                    "id": eid,
                    "person_id": k,
                    "insurance": "medical",
                    "scheme": "child",
                    "status": "active",
                    "medical_tier": None,
                    "pension_grade": None,
                    "base_fen": 0,
                    "start_month": "2024-01",
                    "end_month": None,
                },
            )
            lid += 1
            yield "guardian_links", {"id": lid, "guardian_id": g, "child_id": k, "relation": "mother"}
        aid += 1
        yield (
            "user_accounts",
            {
                "id": aid,
                "person_id": g,
                "username": f"bench{g}",
                "password_hash": DUMMY_HASH,
                "phone_pin_hash": None,
                "created_at": now,
            },
        )
        tid += 1
        yield (
            "auth_tokens",
            {
                "id": tid,
                "token_hash": hashlib.sha256(token_for(g).encode()).hexdigest(),
                "account_id": aid,
                "channel": "api",
                "expires_at": expires,
                "revoked": False,
            },
        )


def transactions(start_tx: int, first_person: int, last_person: int, n: int, now: datetime) -> Iterator[Dict[str, Any]]:
    span = max(1, last_person - first_person + 1)
    for i in range(n):
        tx = start_tx + i + 1
        actor = first_person + (i * 3) % span
        yield {
            "id": tx,
            "serial_no": f"BENCH{tx:012d}",
            "item_code": ITEM_CODES[i % len(ITEM_CODES)],
            "actor_person_id": actor,
            "subject_person_id": actor,
            "channel": "api",
            "outcome": "completed",
            "data": {},
            "result": {"bench": True},
            "created_at": now - timedelta(minutes=i % 100000),
        }


def seed(url: str, people: int, batch: int = 30000) -> Dict[str, Any]:
    """Append about `people` people (whole families) and as many transactions. Returns counts and timing."""
    db = url.rsplit("/", 1)[1]
    if "bench" not in db and "scaleout" not in db:
        raise SystemExit(
            f"seed_bulk: refusing to write into {db!r}: only scratch databases named *bench* or *scaleout*"
        )
    t0 = time.perf_counter()
    sink = Sink(url)
    now = datetime.now(timezone.utc)
    start_person = sink.max_id("people")
    ids = {t: sink.max_id(t) for t in TABLES}
    n_families = max(1, people // 3)
    buf: Dict[str, List[Dict[str, Any]]] = {t: [] for t in TABLES}

    def flush() -> None:
        for t in TABLES:  # parents before children (foreign keys)
            if buf[t]:
                sink.write(t, buf[t])
                buf[t] = []

    pending = 0
    for table, row in families(start_person, ids, n_families, now):
        buf[table].append(row)
        pending += 1
        if pending >= batch:
            flush()
            pending = 0
    flush()
    last_person = start_person + 3 * n_families
    n_tx = 3 * n_families
    for row in transactions(ids["transactions"], start_person + 1, last_person, n_tx, now):
        buf["transactions"].append(row)
        if len(buf["transactions"]) >= batch:
            flush()
    flush()
    sink.finish()
    guardians = list(range(start_person + 1, last_person + 1, 3))
    return {
        "added_people": 3 * n_families,
        "added_transactions": n_tx,
        "seconds": time.perf_counter() - t0,
        "first_guardian": guardians[0],
        "last_guardian": guardians[-1],
    }


def counts(url: str) -> Dict[str, int]:
    sink = Sink(url)
    out = {t: sink.count(t) for t in TABLES}
    sink.conn.close()
    return out


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--url", required=True, help="sqlite:///PATH or postgresql://postgres@127.0.0.1:5432/DB")
    p.add_argument("--people", type=int, required=True)
    args = p.parse_args()
    print(json.dumps(seed(args.url, args.people)))
    print(json.dumps(counts(args.url)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
