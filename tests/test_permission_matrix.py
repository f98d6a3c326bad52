"""Every URL pattern of the project × every role × an object inside and outside the role's scope.

The patterns come from the URL conf (tests/permission_matrix.py url_patterns), so a URL added without an
expectation fails here by name. One world is built once (tests/matrix_world.py) and every request is made
in one test, which collects every mismatch into one message: (method, URL, pattern, user, scope, expected,
got). Besides the answer, every GET is held to: no write to the project's own tables (only the logged views
may write the event log, and then they must), and a listing never shows another scope's object.
"""
import contextlib
import dataclasses
import functools
import re

import pytest
from django.conf import settings
from django.db import connection
from django.test import override_settings
from django.urls import Resolver404, resolve

from org.models import AuditEvent
from tests import matrix_world
from tests.matrix_world import IN, OUT
from tests.permission_matrix import (RULES, common_kwargs, expected, holds, outcome, rule_for, serve_path,
                                     url_patterns)

OWN_TABLES = ("org_", "records_", "archive_", "search_", "handbook_")
LOG_TABLES = {"org_auditevent", "org_chainhead"}
CONVERTER = re.compile(r"<(?:[^>:]+:)?(?P<name>[^>]+)>")
NAMED_GROUP = re.compile(r"\(\?P<(?P<name>\w+)>[^)]*\)")
GROUP = re.compile(r"\((?!\?)(?P<body>[^)]*)\)")


@functools.cache
def debug_urlconf():
    """config/urls.py as on the embedded default (`make run`: DEBUG, SERVE_MEDIA), which may add patterns."""
    import importlib.util
    import sys

    with override_settings(DEBUG=True, SERVE_MEDIA=True):
        spec = importlib.util.find_spec("config.urls")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    sys.modules["tests._debug_urls"] = module
    return module


def all_patterns():
    """(route, name, urlconf) of every pattern; those only on the embedded default with its URL conf."""
    from django.urls import get_resolver

    seen = set()
    for route, name in url_patterns():
        seen.add(route)
        yield route, name, None
    for route, name in url_patterns(get_resolver(debug_urlconf()).url_patterns):
        if route not in seen:
            yield route, name, "tests._debug_urls"


def test_every_url_pattern_has_exactly_one_rule():
    missing, ambiguous, used = [], [], set()
    for route, name, _conf in all_patterns():
        try:
            rule = rule_for(RULES, route, name)
        except ValueError as exc:
            ambiguous.append(str(exc))
            continue
        if rule is None:
            missing.append(f"{route}  (name: {name})")
        used.add(id(rule))
    unused = [f"rule {r.match!r} matches no URL pattern" for r in RULES if id(r) not in used]
    assert not missing and not ambiguous and not unused, (
        "URL patterns without an expectation in tests/permission_matrix.py (add a rule):\n  "
        + "\n  ".join(missing + ambiguous + unused))


def fill(route, kwargs):
    path = NAMED_GROUP.sub(lambda m: str(kwargs[m["name"]]), route)
    path = CONVERTER.sub(lambda m: str(kwargs[m["name"]]), path)
    path = GROUP.sub(lambda m: _group_value(m["body"], kwargs), path)
    return "/" + path.replace("/?$", "/").replace("$", "").replace("^", "").replace("\\.", ".")


def _group_value(body, kwargs):
    """An unnamed regex group: its first word alternative ("live|earliest|\\d+" → "live"), else a page id."""
    words = [alt for alt in body.split("|") if re.fullmatch(r"\w+", alt)]
    return words[0] if words else str(kwargs["page_id"])


@dataclasses.dataclass
class Case:
    rule: object
    route: str
    area: str
    scope: str | None
    obj: object
    path: str
    urlconf: str | None
    variant: bool = False
    subject: object = None  # what `who` is asked about: the rule's subject, else obj


def cases(world, failures):
    base = common_kwargs(world)
    for route, name, urlconf in all_patterns():
        rule = rule_for(RULES, route, name)
        if rule is None:
            failures.append(f"{route} (name {name}): no rule in tests/permission_matrix.py")
            continue
        area = "admin" if route.startswith("admin/") else "api" if route.startswith("api/") else "site"
        scoped = rule.obj is not None and isinstance(world[rule.obj], dict)
        for scope in (IN, OUT) if scoped else (None,):
            obj = world[rule.obj][scope] if scoped else world[rule.obj] if rule.obj else None
            subject = world[rule.subject][scope] if rule.subject else obj
            if rule.path:
                path = rule.path(world, obj)
            else:
                kwargs = {**base, **({"pk": obj.pk} if obj is not None else {}),
                          **(rule.kw(world, obj) if rule.kw else {})}
                path = fill(route, kwargs)
            variants = [(path, rule)] + [
                (_variant_path(path, v, world, obj),
                 dataclasses.replace(rule, who=v.who or rule.who, logged=v.logged, get=v.get or rule.get))
                for v in rule.variants]
            try:
                found = resolve(path.split("?")[0], urlconf).route
            except Resolver404:
                found = None
            if found != route:
                failures.append(f"{path}: built for pattern {route} but resolves to {found}")
                continue
            for url, variant in variants:
                yield Case(variant, route, area, scope, obj, url, urlconf, variant is not rule, subject)


def _variant_path(path, variant, world, obj):
    if callable(variant.suffix):
        return variant.suffix(world, obj)
    suffix = serve_path(variant.suffix, world)
    return suffix if suffix.startswith("/") else path + suffix


class Writes:
    """The project's own tables written by the statements run inside a request."""

    def __init__(self):
        self.tables = set()

    def __call__(self, execute, sql, params, many, context):
        found = re.match(r'\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+"?(\w+)"?', sql, re.I)
        if found and found[1].startswith(OWN_TABLES):
            self.tables.add(found[1])
        return execute(sql, params, many, context)


def body(response):
    """The whole answer; a streamed one is read to its end, which closes it the way the test client expects
    (closing it by hand would close the database connection inside the test's transaction)."""
    if response.streaming:
        return b"".join(response.streaming_content).decode("utf-8", "replace")
    return response.content.decode("utf-8", "replace")


def request(client, method, case, data=None):
    writes, before = Writes(), AuditEvent.objects.count()
    urlconf = override_settings(ROOT_URLCONF=case.urlconf) if case.urlconf else contextlib.nullcontext()
    with connection.execute_wrapper(writes), urlconf:
        if method == "GET":
            response = client.get(case.path)
        else:
            response = client.post(case.path, data or {})
    return response, writes.tables, AuditEvent.objects.count() - before


def check_get(client, who, user, case, world, failures):
    rule = case.rule
    response, tables, logged = request(client, "GET", case)
    text = body(response)
    got, want = outcome(response), expected(rule, user, case.subject, case.area)
    where = f"GET {case.path} [{case.route}] as {who} ({case.scope or '-'})"
    if got not in want:
        failures.append(f"{where}: expected {'/'.join(sorted(want))}, got {got} ({response.status_code})")
    may_log = got == "ok" and (rule.logged is True or bool(rule.logged) and holds(rule.logged)(user, case.subject))
    if tables - (LOG_TABLES if may_log else set()):
        failures.append(f"{where}: a GET wrote to {sorted(tables)}")
    if logged and not may_log:
        failures.append(f"{where}: a GET wrote {logged} event-log row(s)")
    if may_log and not logged:
        failures.append(f"{where}: answered without writing the event log")
    if rule.secret and got == "ok" and user is not None:
        key, attr, action = rule.secret
        hidden = world[key][OUT]
        marker = str(getattr(hidden, attr))
        if not holds(action)(user, hidden) and marker in text:
            failures.append(f"{where}: shows {marker!r} of {hidden!r}, outside the user's scope")


def check_post(client, who, user, case, world, failures):
    """A user without the action posts what would change the object: refused, and nothing changes."""
    rule = case.rule
    obj_key = rule.post_obj or rule.obj
    scoped = obj_key is not None and isinstance(world[obj_key], dict)
    target = world[obj_key][case.scope or IN] if scoped else None
    if user is not None and rule.allows_post(user, target):
        return
    response, tables, logged = request(client, "POST", case, rule.post(world, case.scope or IN))
    body(response)
    got = outcome(response)
    where = f"POST {case.path} [{case.route}] as {who} ({case.scope or '-'})"
    refused = {"denied", "405", "login", "401"}
    if rule.lookup and user is not None and holds(rule.lookup)(user, target):
        refused.add("redirect")  # the screen again, with a message that says no
    if got not in refused:
        failures.append(f"{where}: expected a refusal (403/404/405 or sign-in), got {got} ({response.status_code})")
    if tables or logged:
        failures.append(f"{where}: a refused POST changed {sorted(tables)} ({logged} event-log rows)")


@pytest.mark.django_db(transaction=False)
def test_every_url_as_every_role_in_and_out_of_scope(client):
    world, subjects = matrix_world.build()
    client.raise_request_exception = False
    failures = []
    all_cases = list(cases(world, failures))
    for who, user in subjects.items():
        client.logout()
        if user is not None:
            client.force_login(user)
        for case in all_cases:
            if user is not None and not client.cookies.get(settings.SESSION_COOKIE_NAME, None):
                client.force_login(user)
            elif user is not None and not client.cookies[settings.SESSION_COOKIE_NAME].value:
                client.force_login(user)  # Wagtail's logout drops the cookie even when it answers 405
            check_get(client, who, user, case, world, failures)
            if case.rule.post and not case.variant:
                check_post(client, who, user, case, world, failures)
    assert not failures, f"{len(failures)} answers differ from the permission matrix:\n" + "\n".join(failures)


def test_api_urls_with_a_format_suffix_are_not_found_rather_than_an_error(org_demo, client, make_record):
    """The router's ".json" twins of the record actions passed a `format` the actions do not take: a 500."""
    record = make_record("H11")
    client.force_login(org_demo["l1-H11"])
    client.raise_request_exception = False
    for path in (f"/api/records/{record.pk}/id-number.json", f"/api/records/{record.pk}.json",
                 "/api/records.json"):
        assert client.get(path).status_code == 404, path
    assert client.post(f"/api/records/{record.pk}/retry.json").status_code == 404
