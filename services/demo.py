"""Demo data for the oversight page: realistic cases across three counties and eight townships, posted through
the public APIs of a running system (``make run`` then ``make demo``, or ``python -m services demo --url …``).

It allocates township reserve funds (R-RES-1), registers two partner charities, submits applications over
both channels (walk-in and referred by another government system, R-OVS-2), and drives most cases on:
review and approval at the township or the county (R-FLOW-1, R-FLOW-3), some rejected, emergencies helped
first (R-FLOW-2) with the emergency declared over on past days (so some paperwork is overdue), bank results
and direct handovers for the payments, and partners accepting and fulfilling the offered needs (R-CHA-3).
Running it again adds more cases. The names, ID numbers and accounts are made up (valid check characters)."""

from __future__ import annotations

import argparse
import hashlib
import random
import sys
import time
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx

from shared import idnumber

CN = timezone(timedelta(hours=8))
PLACES = [
    ("140302", "140302001"),
    ("140302", "140302003"),
    ("140302", "140302005"),
    ("140303", "140303002"),
    ("140303", "140303004"),
    ("140321", "140321100"),
    ("140321", "140321103"),
    ("140322", "140322102"),
]
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
GIVEN = [
    "伟",
    "芳",
    "娜",
    "秀英",
    "敏",
    "静",
    "丽",
    "强",
    "磊",
    "军",
    "洋",
    "勇",
    "艳",
    "杰",
    "娟",
    "涛",
    "明",
    "超",
]
SYSTEMS = ["低收入人口动态监测平台", "医保结算系统", "应急管理信息系统"]


STAFF = (
    "intake_clerk",
    "township_reviewer",
    "township_approver",
    "county_approver",
    "finance_officer",
    "auditor",
    "policy_admin",
)


def _dev_issuer() -> Any:
    """The development issuer the running system trusts (same key folder: AUTH_DEV_KEY_DIR)."""
    from pathlib import Path

    from shared.auth import DevIssuer
    from shared.settings import ServiceSettings

    settings = ServiceSettings()
    return DevIssuer(Path(settings.auth_dev_key_dir), settings.auth_audience)


class Demo:
    def __init__(self, url: str, seed: int) -> None:
        self.issuer = _dev_issuer()
        self.http = httpx.Client(
            base_url=url.rstrip("/"), timeout=30, headers=self.as_("demo-officer", *STAFF)
        )
        self.rng = random.Random(seed)  # noqa: S311 - reproducible demo data from a seed, not a secret
        self.serial = self.rng.randint(100, 800)
        self.today = datetime.now(CN).date()
        self.reviewer = self.as_("township-reviewer", "township_reviewer")
        self.approver = self.as_("county-approver", "county_approver")
        self.head = self.as_("township-head", "township_approver")
        self.visitor = self.as_("township-visitor", "township_reviewer")

    def as_(self, subject: str, *roles: str) -> dict[str, str]:
        """Headers of a caller: the demo acts as several people, since who reviews may not approve."""
        return {"Authorization": f"Bearer {self.issuer.mint(subject, list(roles), ttl=3600)}"}

    def call(self, method: str, path: str, expect: tuple[int, ...] = (200, 201), **kw: Any) -> Any:
        response = self.http.request(method, path, **kw)
        if response.status_code not in expect:
            raise SystemExit(f"{method} {path}: {response.status_code} {response.text[:300]}")
        return response.json() if response.content else None

    def complete_archive(self, case_id: str) -> None:
        """R-ARC-1: record what the archive lacks before review — documents by reference to the object
        store, and the home-visit report signed by a second officer — as a township does."""
        archive = self.call("GET", f"/intake/v1/applications/{case_id}/documents")
        for item in archive["required"]:
            if item["recorded"] or item["stage"] not in ("intake", "investigation"):
                continue
            if item["kind"] == "home_visit_report":
                visit = self.call(
                    "POST",
                    f"/intake/v1/applications/{case_id}/home-visits",
                    json={
                        "visited_on": self.today.isoformat(),
                        "second_visitor": "township-visitor",
                        "findings": "入户核实：家庭情况与申请一致",
                        "living_conditions": "住房受损，生活困难",
                    },
                )
                self.call(
                    "POST",
                    f"/intake/v1/applications/{case_id}/home-visits/{visit['id']}/confirmation",
                    headers=self.visitor,
                )
                continue
            digest = hashlib.sha256(f"{case_id}:{item['kind']}".encode()).hexdigest()
            self.call(
                "POST",
                f"/intake/v1/applications/{case_id}/documents",
                json={
                    "kind": item["kind"],
                    "media_type": "application/pdf",
                    "size_bytes": 120000 + self.rng.randint(0, 90000),
                    "sha256": digest,
                    "storage_uri": f"s3://archive/{case_id}/{item['kind']}.pdf",
                    "metadata": {},
                    "recorded_by": "township-clerk",
                },
            )
        for _ in range(100):  # approval learns of the complete archive from intake's event
            known = self.http.get(f"/approval/v1/cases/{case_id}")
            if known.status_code == 200 and not (known.json().get("archive") or {}).get("blocking", [1]):
                return
            time.sleep(0.1)

    def person(self, area: str, relation: str) -> dict[str, Any]:
        self.serial += 1
        birth = f"{self.rng.randint(1950, 2005)}{self.rng.randint(1, 12):02d}{self.rng.randint(1, 28):02d}"
        first17 = f"{area}{birth}{self.serial % 1000:03d}"
        name = self.rng.choice(SURNAMES) + self.rng.choice(GIVEN)
        return {"name": name, "id_number": first17 + idnumber.check_character(first17), "relation": relation}

    def application(self, county: str, township: str, kind: str) -> dict[str, Any]:
        size = self.rng.choice([1, 2, 3, 3, 4, 5])
        household = [self.person(county, "self")] + [
            self.person(county, rel) for rel in ["spouse", "child", "child", "parent"][: size - 1]
        ]
        body: dict[str, Any] = {
            "household": household,
            "phone": f"138{self.rng.randint(10000000, 99999999)}",
            "address": {"county_code": county, "township_code": township, "detail": "某村某组"},
            "persons_helped": size,
            "annual_household_income": f"{self.rng.randint(8, 30) * 1000}.00",
            "property": {
                "deposits": f"{self.rng.randint(0, 20) * 500}.00",
                "vehicles": 0,
                "vehicle_value": "0.00",
                "houses": 1,
            },
            "payee": {
                "name": household[0]["name"],
                "bank": "中国农业银行",
                "account": f"62284800{self.rng.randint(10**10, 10**11 - 1)}",
            },
            "consents": {
                "verify_economic_situation": True,
                "share_with_charities": (sharing := self.rng.random() < 0.7),
                # R-CHA-2: health needs reach partners only with this separate consent (given here with
                # the consent to share, drawing nothing more from the seeded sequence)
                "share_health_data": sharing,
            },
        }
        if self.rng.random() < 0.35:
            body["channel"], body["referring_system"] = "gov_system", self.rng.choice(SYSTEMS)
        occurred = (self.today - timedelta(days=self.rng.randint(3, 40))).isoformat()
        if kind == "emergency":
            subtype = self.rng.choice(["fire_or_accident", "sudden_illness", "other_emergency"])
            text = {
                "fire_or_accident": "房屋失火",
                "sudden_illness": "突发重病",
                "other_emergency": "家中突遭变故",
            }[subtype]
            body.update(
                category="emergency",
                subtype=subtype,
                incident={"description": text, "occurred_on": occurred, "ongoing": False},
            )
        else:
            bills = self.rng.randint(30, 250) * 1000
            body.update(
                category="expenditure",
                subtype="medical",
                incident={"description": "住院治疗", "occurred_on": occurred, "ongoing": False},
                medical={
                    "total_bills": f"{bills}.00",
                    "basic_insurance": f"{bills * 45 // 100}.00",
                    "critical_illness_insurance": f"{bills * 10 // 100}.00",
                    "commercial_insurance": "0.00",
                    "medical_assistance": "3000.00",
                },
            )
            if kind == "ineligible":
                body["annual_household_income"] = f"{self.rng.randint(300, 900) * 1000}.00"
        return body

    def wait_for_case(self, case_id: str) -> dict[str, Any]:
        for _ in range(300):
            r = self.http.get(f"/approval/v1/cases/{case_id}")
            if r.status_code == 200:
                return r.json()
            time.sleep(0.1)
        raise SystemExit(f"case {case_id} never reached approval (is every service running?)")

    def payments(self, case_id: str, at_least: int) -> list[dict[str, Any]]:
        for _ in range(200):
            rows = self.call("GET", f"/disbursement/v1/cases/{case_id}/payments")
            if len(rows) >= at_least:
                return rows
            time.sleep(0.1)
        return []

    def settle(self, case_id: str, at_least: int) -> None:
        """Bank results for transfers, handovers for direct payments (a few transfers stay in flight)."""
        for p in self.payments(case_id, at_least):
            if p["status"] == "scheduled" and self.rng.random() < 0.85:
                self.call(
                    "POST",
                    f"/disbursement/v1/payments/{p['id']}/result",
                    json={"result": "paid", "actor": "bank-callback"},
                )
            elif p["status"] == "awaiting_handover":
                self.call(
                    "POST",
                    f"/disbursement/v1/payments/{p['id']}/handover",
                    json={
                        "witness_name": "village-committee",
                        "recipient_name": "户主",
                        "items": f"cash {p['amount']}",
                    },
                )

    def run(self, cases: int) -> None:
        year = self.today.year
        for county, township in PLACES:
            self.call(
                "POST",
                f"/disbursement/v1/reserve-funds/{township}",
                expect=(201, 409),
                json={
                    "county_code": county,
                    "year": year,
                    "proportion": "0.2",
                    "previous_year_spending": f"{self.rng.randint(8, 20) * 10000}.00",
                    "actor": "county-finance",
                },
            )
        partners = [
            self.call(
                "POST",
                "/referral/v1/partners",
                json={
                    "name": name,
                    "kind": "charity",
                    "need_types": ["medical", "living"],
                    "service_areas": areas,
                    "email": "help@charity.example",
                    "uscc": uscc,  # 统一社会信用代码, check character valid (GB 32100-2015)
                },
            )
            for name, areas, uscc in (
                ("阳泉市慈善总会", ["140302", "140303"], "91350100M000100Y43"),
                ("平定县红十字会", ["140321", "140322"], "53140300MJ0000123W"),
            )
        ]

        submitted = []
        for i in range(cases):
            county, township = PLACES[i % len(PLACES)]
            kind = self.rng.choices(["emergency", "medical", "ineligible"], weights=[4, 5, 1])[0]
            body = self.application(county, township, kind)
            system = body.pop("referring_system", None)
            body.pop("channel", None)  # R-OVS-2: a government system is known by its own token
            created = self.call(
                "POST",
                "/intake/v1/applications",
                json=body,
                headers=self.as_(system, "gov_system") if system else None,
            )
            submitted.append((created["id"], kind))
        print(f"submitted {len(submitted)} applications", flush=True)

        decided = 0
        for n, (case_id, _kind) in enumerate(submitted):
            case = self.wait_for_case(case_id)
            fate = self.rng.random()
            helped = 0
            if case["category"] == "emergency" and case["eligible"] and fate < 0.6:
                amount = min(int(float(case["assessed_amount"]) // 2), 3000)
                if amount > 0:
                    self.call(
                        "POST",
                        f"/approval/v1/cases/{case_id}/help-first",
                        headers=self.head,
                        json={
                            "actor": "township-head",
                            "role": "township",
                            "amount": f"{amount}.00",
                            "form": "cash",
                            "channel": "direct",
                            "reasons": "先行救助: 情况紧急 (R-FLOW-2)",
                        },
                    )
                    over = self.today - timedelta(days=self.rng.choice([2, 5, 12, 20, 30]))
                    self.call(
                        "POST",
                        f"/approval/v1/cases/{case_id}/help-first/emergency-over",
                        headers=self.head,
                        json={"actor": "township-head", "over_on": over.isoformat()},
                    )
                    helped = 1
                    self.settle(case_id, 1)
            if fate > 0.85 and helped == 0:
                continue  # still awaiting review
            if not case["eligible"] or (fate > 0.75 and helped == 0):
                self.call(
                    "POST",
                    f"/approval/v1/cases/{case_id}/review",
                    headers=self.reviewer,
                    json={
                        "opinion": "rejected",
                        "actor": "township-reviewer",
                        "reasons": "不符合条件 (R-CAT-3)",
                    },
                )
                self.call(
                    "POST",
                    f"/approval/v1/cases/{case_id}/decision",
                    headers=self.approver,
                    json={
                        "decision": "rejected",
                        "actor": "county-approver",
                        "reasons": "不符合条件",
                        "role": "county",
                    },
                )
                decided += 1
                continue
            if helped and fate < 0.2:
                continue  # help first given, paperwork still open
            assessed = float(case["assessed_amount"])
            proposed = f"{assessed * self.rng.choice([1, 1, 0.8, 0.6]):.2f}"
            self.complete_archive(case_id)
            review = self.call(
                "POST",
                f"/approval/v1/cases/{case_id}/review",
                headers=self.reviewer,
                json={
                    "opinion": "approved",
                    "actor": "township-reviewer",
                    "reasons": "入户核查属实 (R-FLOW-1)",
                    "amount": proposed,
                },
            )
            del review
            self.call(
                "POST",
                f"/approval/v1/cases/{case_id}/decision",
                headers=self.approver,
                json={
                    "decision": "approved",
                    "actor": "county-approver" if n % 2 else "township-approver",
                    "reasons": "同意救助 (R-FLOW-1)",
                    "role": "county",
                    # the approver confirms a county rule's longer duration explicitly (R-AMT-2)
                    "confirm_extended_duration": True,
                },
            )
            decided += 1
            self.settle(case_id, 1 + helped)
        print(f"decided {decided} cases", flush=True)

        fulfilled = 0
        for partner in partners:
            headers = {"Authorization": f"Bearer {partner['api_key']}"}
            for _ in range(20):
                offers = self.call("GET", f"/referral/v1/partners/{partner['id']}/referrals", headers=headers)
                if offers:
                    break
                time.sleep(0.2)
            for offer in offers:
                if offer["status"] != "requested":
                    continue
                path = f"/referral/v1/partners/{partner['id']}/referrals/{offer['task_id']}"
                if self.rng.random() < 0.2:
                    self.call("POST", path + "/decline", headers=headers, json={"reason": "本月资金已用完"})
                    continue
                self.call("POST", path + "/accept", headers=headers)
                if self.rng.random() < 0.7:
                    remaining = float(offer.get("remaining_amount") or 1000)
                    give = max(100, int(remaining * self.rng.choice([0.3, 0.5, 1.0]) // 100 * 100))
                    give = min(give, int(remaining)) or 1
                    self.call(
                        "POST",
                        path + "/fulfil",
                        headers=headers,
                        json={"amount": f"{give}.00", "form": self.rng.choice(["cash", "in_kind"])},
                    )
                    fulfilled += 1
        print(f"charity referrals fulfilled: {fulfilled}", flush=True)
        print(f"open {self.http.base_url}/oversight/ to see the figures", flush=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m services demo",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--url", default="http://127.0.0.1:8000", help="the running system (standalone or ingress)"
    )
    parser.add_argument("--cases", type=int, default=40)
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args(argv)
    try:
        Demo(args.url, args.seed if args.seed is not None else int(time.time())).run(args.cases)
    except httpx.HTTPError as exc:
        sys.exit(f"demo: cannot reach {args.url}: {exc}")


if __name__ == "__main__":
    main()
