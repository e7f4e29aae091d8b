"""Checks that need the whole playbook: references, reachability, template variables."""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Iterator
from typing import Any

from jinja2 import nodes
from jinja2.sandbox import MAX_RANGE

from opsdesk.engine.calendar import BusinessCalendar
from opsdesk.playbook.events import (
    CADENCE_DONE,
    CADENCE_TIMER,
    EVENT_KEYS,
    INTAKE_NAMES,
    KNOWN_EVENTS,
    OUTSIDE_EVENTS,
    TIMER_EVENT_PREFIX,
)
from opsdesk.playbook.expressions import (
    AGENT_KEYS,
    CONTEXT_NAMES,
    CUSTOMER_KEYS,
    ENV,
    ExpressionError,
    attributes_of,
    compile_expression,
    compile_template,
    unknown_names,
)
from opsdesk.playbook.loader import Problem
from opsdesk.playbook.model import (
    Assign,
    BookAppointment,
    Branch,
    CancelTimer,
    HandBack,
    Note,
    OpenTask,
    Playbook,
    Post,
    Send,
    SetField,
    SetTimer,
    StartCadence,
    StopCadence,
    SyncStatus,
    TeamAssignee,
    Wait,
    _walk,
)

DICT_METHODS = frozenset({"get", "items", "keys", "values"})

# A `wait` may stand only directly in a cadence's steps.
CADENCE_STEP = re.compile(r"^cadences\.[a-z0-9_]+\.steps\[\d+\]$")

PROFILE_CHECK_CODES = frozenset(
    {
        "name_missing",
        "name_not_passport_like",
        "phone_missing",
        "phone_no_country_code",
        "phone_invalid",
        "phone_not_whatsapp",
        "email_missing",
        "email_invalid",
        "nationality_missing",
        "nationality_invalid",
    }
)


def check(pb: Playbook) -> list[Problem]:
    problems: list[Problem] = []
    problems += _check_header(pb)
    problems += _check_states(pb)
    problems += _check_templates(pb)
    problems += _check_tasks(pb)
    problems += _check_sources(pb)
    problems += _check_unsafe(pb)
    problems += _check_intake(pb)
    problems += _check_slas(pb)
    problems += _check_requests(pb)
    problems += _check_scripts(pb)
    problems += _check_event_keys(pb)
    problems += _check_waits(pb)
    problems += _check_sla_reach(pb)
    return problems


TAG_SEPARATOR = " >> "


def disposition_leaves(tree: dict[str, Any], prefix: tuple[str, ...] = ()) -> set[tuple[str, ...]]:
    """Every complete path of the disposition tree (a leaf is null or an empty mapping)."""
    out: set[tuple[str, ...]] = set()
    for name, sub in tree.items():
        path = (*prefix, str(name))
        if sub in (None, {}):
            out.add(path)
        elif isinstance(sub, dict):
            out |= disposition_leaves(sub, path)
    return out


def _check_dispositions(tree: dict[str, Any], path: str = "dispositions") -> list[Problem]:
    out = []
    for name, sub in tree.items():
        if TAG_SEPARATOR.strip() in str(name):
            out.append(Problem(f"{path}.{name}", "a name cannot contain '>>'"))
        if isinstance(sub, dict):
            out += _check_dispositions(sub, f"{path}.{name}")
        elif sub is not None:
            out.append(Problem(f"{path}.{name}", "a mapping of sub-tags, or null for a leaf"))
    return out


def _check_scripts(pb: Playbook) -> list[Problem]:
    """Guided scripts: every step reachable, no loops, every end a complete tag."""
    out = _check_dispositions(pb.dispositions)
    leaves = disposition_leaves(pb.dispositions)
    for key, script in pb.scripts.items():
        base = f"scripts.{key}"
        if script.start not in script.nodes:
            out.append(Problem(f"{base}.start", f"no step {script.start!r}"))
            continue
        for name, node in script.nodes.items():
            for target in node.targets:
                if target not in script.nodes:
                    out.append(Problem(f"{base}.nodes.{name}", f"no step {target!r}"))
            if node.end is not None:
                tag = tuple(node.end.tag.split(TAG_SEPARATOR))
                if tag not in leaves:
                    out.append(
                        Problem(
                            f"{base}.nodes.{name}.end.tag",
                            f"{node.end.tag!r} is not a complete path of the dispositions",
                        )
                    )
            for i, c in enumerate(node.check):
                if c.when is not None:
                    try:
                        compile_expression(c.when)
                    except ExpressionError as exc:
                        out.append(Problem(f"{base}.nodes.{name}.check[{i}].when", str(exc)))
        out += _script_shape(base, script)
    return out


def _script_shape(base: str, script: Any) -> list[Problem]:
    """Reachability from `start` and no loops (a script always ends)."""
    out: list[Problem] = []
    seen: set[str] = set()
    on_path: set[str] = set()

    def visit(name: str) -> None:
        if name in on_path:
            out.append(Problem(f"{base}.nodes.{name}", "a loop: the script could never end"))
            return
        if name in seen or name not in script.nodes:
            return
        seen.add(name)
        on_path.add(name)
        for target in script.nodes[name].targets:
            visit(target)
        on_path.discard(name)

    visit(script.start)
    for name in script.nodes:
        if name not in seen:
            out.append(Problem(f"{base}.nodes.{name}", f"unreachable from {script.start!r}"))
    return out


def _check_requests(pb: Playbook) -> list[Problem]:
    """The intake sheet of a playbook triggered by `request.received`."""
    requests = "request.received" in pb.trigger.events
    if pb.intake is None:
        return [Problem("intake", "request.received needs an `intake` section")] if requests else []
    if not requests:
        return [Problem("intake", "only a playbook triggered by request.received uses this")]
    out = []
    for i, name in enumerate(pb.intake.form):
        if name not in pb.fields:
            out.append(Problem(f"intake.form[{i}]", f"no field {name!r}"))
    for i, c in enumerate(pb.intake.checks):
        if c.field not in pb.intake.form:
            out.append(Problem(f"intake.checks[{i}].field", f"{c.field!r} is not on the form"))
        try:
            compile_expression(c.when)
        except ExpressionError as exc:
            out.append(Problem(f"intake.checks[{i}].when", str(exc)))
            continue
        for name in unknown_names(c.when, {"fields", "today", "catalogs"}, expression=True):
            out.append(Problem(f"intake.checks[{i}].when", f"unknown variable {name!r}"))
    if "EMAIL" in pb.intake.channels and "@" not in pb.intake.email:
        out.append(Problem("intake.email", "EMAIL intake needs the address requests are sent to"))
    return out


def _check_slas(pb: Playbook) -> list[Problem]:
    out = []
    for name, sla in pb.slas.items():
        for part in ("starts", "stops"):
            for i, state in enumerate(getattr(sla, part)):
                if state not in pb.states:
                    out.append(Problem(f"slas.{name}.{part}[{i}]", f"no state {state!r}"))
        if set(sla.starts) & set(sla.stops):
            out.append(Problem(f"slas.{name}.stops", "a state cannot both start and stop it"))
        if sla.warning is not None:
            warn, target = sla.warning.model_dump(), sla.target.model_dump()
            unit = next(k for k, v in target.items() if v is not None)
            if warn.get(unit) is None:
                out.append(Problem(f"slas.{name}.warning", f"give it in {unit}, like the target"))
            elif warn[unit] >= target[unit]:
                out.append(Problem(f"slas.{name}.warning", "must come before the target"))
        if not sla.on_breach:
            out.append(Problem(f"slas.{name}.on_breach", "say what happens on a breach"))
    return out


def _check_intake(pb: Playbook) -> list[Problem]:
    """Zones, eligibility and classification: only for order playbooks, with their own names."""
    out = []
    orders = "order.received" in pb.trigger.events
    for section in ("zones", "classification", "eligibility"):
        if getattr(pb, section) and not orders:
            out.append(Problem(section, "only a playbook triggered by order.received uses this"))
    rules = [(f"classification[{i}].when", r.when, True) for i, r in enumerate(pb.classification)]
    for i, c in enumerate(pb.eligibility):
        rules += [
            (f"eligibility[{i}].when", c.when, True),
            (f"eligibility[{i}].message", c.message, False),
        ]
    for path, source, is_expr in rules:
        try:
            compile_expression(source) if is_expr else compile_template(source)
        except ExpressionError as exc:
            out.append(Problem(path, str(exc)))
            continue
        for name in unknown_names(source, set(INTAKE_NAMES), expression=is_expr):
            out.append(
                Problem(
                    path, f"unknown variable {name!r} (known: {', '.join(sorted(INTAKE_NAMES))})"
                )
            )
    names = [c.name for c in pb.eligibility]
    for name in {n for n in names if names.count(n) > 1}:
        out.append(Problem("eligibility", f"two checks are named {name!r}"))
    for name, zone in pb.zones.items():
        for service in zone.services:
            field = pb.fields.get("service_type")
            if field is not None and field.choices and service not in field.choices:
                out.append(Problem(f"zones.{name}.services", f"{service!r} is not a service_type"))
    return out


def _check_header(pb: Playbook) -> list[Problem]:
    out = []
    if pb.default_language not in pb.languages:
        out.append(Problem("default_language", f"{pb.default_language!r} is not in languages"))
    try:
        BusinessCalendar.from_dict(pb.calendar)
    except ValueError as exc:
        out.append(Problem("calendar", str(exc)))
    for i, code in enumerate(pb.profile_checks):
        if code not in PROFILE_CHECK_CODES:
            out.append(
                Problem(
                    f"profile_checks[{i}]",
                    f"unknown check {code!r}; known: {', '.join(sorted(PROFILE_CHECK_CODES))}",
                )
            )
    return out


def _check_states(pb: Playbook) -> list[Problem]:
    out = []
    initial = [name for name, s in pb.states.items() if s.initial]
    if len(initial) != 1:
        out.append(Problem("states", f"exactly one state is initial; found {len(initial)}"))
    timers_set = {a.set_timer.name for _, a in pb.actions() if isinstance(a, SetTimer)}
    for name, state in pb.states.items():
        if state.final and state.transitions:
            out.append(Problem(f"states.{name}", "a final state has no transitions"))
        if not state.final and not any(t.to for t in state.transitions):
            out.append(Problem(f"states.{name}", "dead end: not final and no transition leaves it"))
        for t, tr in enumerate(state.transitions):
            path = f"states.{name}.transitions[{t}]"
            if tr.to is not None and tr.to not in pb.states:
                out.append(Problem(f"{path}.to", f"no state {tr.to!r}"))
            done = CADENCE_DONE.fullmatch(tr.on or "")
            if done is not None:
                if done.group(1) not in pb.cadences:
                    out.append(Problem(f"{path}.on", f"no cadence {done.group(1)!r}"))
            elif tr.on is not None and tr.on not in KNOWN_EVENTS:
                timer = tr.on.removeprefix(TIMER_EVENT_PREFIX)
                if not tr.on.startswith(TIMER_EVENT_PREFIX):
                    out.append(
                        Problem(
                            f"{path}.on",
                            f"unknown event {tr.on!r}; known: {', '.join(sorted(KNOWN_EVENTS))}"
                            f", {TIMER_EVENT_PREFIX}<name>, cadence.<name>.done",
                        )
                    )
                elif timer not in timers_set:
                    out.append(Problem(f"{path}.on", f"no action sets a timer {timer!r}"))
            if tr.on == "manual" and not tr.label:
                out.append(Problem(f"{path}.label", "a manual transition needs a label"))
    for path, action in pb.actions():
        if isinstance(action, Send) and action.send not in pb.templates:
            out.append(Problem(f"{path}.send", f"no template {action.send!r}"))
        elif isinstance(action, OpenTask) and action.open_task not in pb.tasks:
            out.append(Problem(f"{path}.open_task", f"no task {action.open_task!r}"))
        elif isinstance(action, CancelTimer) and action.cancel_timer not in timers_set:
            out.append(
                Problem(f"{path}.cancel_timer", f"no action sets a timer {action.cancel_timer!r}")
            )
        elif isinstance(action, SetField) and action.set_field.field not in pb.fields:
            out.append(Problem(f"{path}.set_field.field", f"no field {action.set_field.field!r}"))
        elif isinstance(action, StartCadence | StopCadence):
            name = action.start_cadence if isinstance(action, StartCadence) else action.stop_cadence
            if name not in pb.cadences:
                out.append(Problem(path, f"no cadence {name!r}"))
        elif isinstance(action, BookAppointment) and pb.scheduling is None:
            out.append(Problem(path, "book_appointment needs a `scheduling` section"))
        elif isinstance(action, SyncStatus) and "application.received" not in pb.trigger.events:
            out.append(
                Problem(
                    path,
                    "sync_status reports to the partner an application came from: "
                    "the playbook needs application.received",
                )
            )
        elif isinstance(action, HandBack) and "order.received" not in pb.trigger.events:
            out.append(
                Problem(path, "hand_back returns an order: the playbook needs order.received")
            )
        elif isinstance(action, Wait) and not CADENCE_STEP.match(path):
            out.append(Problem(path, "`wait` is a step of a cadence, not an action elsewhere"))
        elif isinstance(action, Assign):
            rules = action.rules(pb.assignment)
            if "service_type" in rules.match and rules.service_type_field not in pb.fields:
                out.append(
                    Problem(
                        f"{path}.assign",
                        f"matches on service type, but there is no field "
                        f"{rules.service_type_field!r} (set service_type_field)",
                    )
                )
    for name, cadence in pb.cadences.items():
        if isinstance(cadence.steps[-1], Wait):
            out.append(
                Problem(f"cadences.{name}.steps", "a cadence ends with a step, not a `wait`")
            )
    for path, action in pb.actions():
        if isinstance(action, SetTimer) and action.set_timer.name.startswith(CADENCE_TIMER):
            out.append(
                Problem(f"{path}.set_timer.name", f"names starting {CADENCE_TIMER!r} are reserved")
            )
    if len(initial) == 1:
        out += _check_reachable(pb, initial[0])
    return out


def _check_reachable(pb: Playbook, start: str) -> list[Problem]:
    seen, todo = {start}, [start]
    while todo:
        for tr in pb.states[todo.pop()].transitions:
            if tr.to and tr.to in pb.states and tr.to not in seen:
                seen.add(tr.to)
                todo.append(tr.to)
    return [
        Problem(f"states.{name}", f"unreachable from the initial state {start!r}")
        for name in pb.states
        if name not in seen
    ]


def _check_templates(pb: Playbook) -> list[Problem]:
    out = []
    for key, tpl in pb.templates.items():
        for lang in pb.languages:
            if lang not in tpl.text:
                out.append(Problem(f"templates.{key}.text", f"no text in language {lang!r}"))
        for lang in set(tpl.text) - set(pb.languages):
            out.append(Problem(f"templates.{key}.text.{lang}", "not one of the languages"))
        if "EMAIL" in tpl.channels:
            for lang in pb.languages:
                if lang not in tpl.subject:
                    out.append(
                        Problem(f"templates.{key}.subject", f"email needs a subject in {lang!r}")
                    )
    return out


def _check_tasks(pb: Playbook) -> list[Problem]:
    out = []
    for key, task in pb.tasks.items():
        if task.priority == "URGENT" and task.raise_priority:
            out.append(Problem(f"tasks.{key}.raise_priority", "URGENT cannot be raised"))
        for i, name in enumerate(task.fields):
            if name not in pb.fields:
                out.append(Problem(f"tasks.{key}.fields[{i}]", f"no field {name!r}"))
        if task.review is not None:
            if task.review.of not in pb.tasks:
                out.append(Problem(f"tasks.{key}.review.of", f"no task {task.review.of!r}"))
            elif task.review.of == key:
                out.append(Problem(f"tasks.{key}.review.of", "a task cannot review itself"))
    return out


def _sources(pb: Playbook) -> Iterator[tuple[str, str, bool]]:
    """Every Jinja source in the playbook: (path, source, is_expression)."""
    for name, expr in pb.computed.items():
        yield f"computed.{name}", expr, True
    for key, tpl in pb.templates.items():
        for lang, text in tpl.text.items():
            yield f"templates.{key}.text.{lang}", text, False
        for lang, text in tpl.subject.items():
            yield f"templates.{key}.subject.{lang}", text, False
        if tpl.prefer:
            yield f"templates.{key}.prefer", tpl.prefer, True
        if tpl.whatsapp:
            for i, p in enumerate(tpl.whatsapp.params):
                yield f"templates.{key}.whatsapp.params[{i}]", p, False
    for key, task in pb.tasks.items():
        yield f"tasks.{key}.title", task.title, False
        yield f"tasks.{key}.description", task.description, False
        for i, rule in enumerate(task.raise_priority):
            yield f"tasks.{key}.raise_priority[{i}].when", rule.when, True
        for i, req in enumerate(task.complete_requires):
            yield f"tasks.{key}.complete_requires[{i}].when", req.when, True
    for name, state in pb.states.items():
        for i, req in enumerate(state.requires):
            yield f"states.{name}.requires[{i}].when", req.when, True
        for t, tr in enumerate(state.transitions):
            if tr.when:
                yield f"states.{name}.transitions[{t}].when", tr.when, True
    for path, action in pb.actions():
        if isinstance(action, SetField):
            yield f"{path}.set_field.value", action.set_field.value, True
        elif isinstance(action, Note):
            yield f"{path}.note", action.note, False
        elif isinstance(action, Branch):
            yield f"{path}.if", action.if_, True
        elif isinstance(action, HandBack):
            yield f"{path}.hand_back", action.hand_back, False
        elif isinstance(action, SyncStatus):
            yield f"{path}.sync_status.status", action.sync_status.status, False
            if action.sync_status.subject:
                yield f"{path}.sync_status.subject", action.sync_status.subject, True
        elif isinstance(action, Post):
            yield f"{path}.post.text", action.post.text, False
        elif isinstance(action, BookAppointment) and action.book_appointment.at:
            yield f"{path}.book_appointment.at", action.book_appointment.at, True
    yield "billing.deposit_percent", pb.billing.deposit_percent, True
    yield "billing.currency", pb.billing.currency, True
    yield "billing.tax_rate", pb.billing.tax_rate, True
    work = pb.scheduling.field_work if pb.scheduling else None
    if work is not None:
        yield "scheduling.field_work.skills", work.skills, True
        yield "scheduling.field_work.parts", work.parts, True


def _check_sources(pb: Playbook) -> list[Problem]:
    out = []
    computed_order = list(pb.computed)
    for path, source, is_expr in _sources(pb):
        try:
            if is_expr:
                compile_expression(source)
            else:
                compile_template(source)
        except ExpressionError as exc:
            out.append(Problem(path, str(exc)))
            continue
        known = set(CONTEXT_NAMES)
        if path.startswith("computed."):
            # A computed value sees only the ones defined before it.
            known |= set(computed_order[: computed_order.index(path.split(".", 1)[1])])
        else:
            known |= set(pb.computed)
        for name in unknown_names(source, known, expression=is_expr):
            out.append(Problem(path, f"unknown variable {name!r}"))
        for attr in attributes_of(source, "fields", expression=is_expr):
            if attr not in pb.fields:
                out.append(Problem(path, f"no field {attr!r} (fields: {', '.join(pb.fields)})"))
        for attr in attributes_of(source, "catalogs", expression=is_expr):
            if attr not in pb.catalogs:
                out.append(Problem(path, f"no catalog {attr!r}"))
        for name, keys in (("customer", CUSTOMER_KEYS), ("agent", AGENT_KEYS)):
            for attr in attributes_of(source, name, expression=is_expr):
                if attr not in keys:
                    out.append(Problem(path, f"{name} has no {attr!r} ({', '.join(sorted(keys))})"))
        for attr in attributes_of(source, "tasks", expression=is_expr):
            # `tasks.get('key')` reads a task that may never have been opened.
            if attr not in pb.tasks and attr not in DICT_METHODS:
                out.append(Problem(path, f"no task {attr!r}"))
    return out


# --- guards on event data, waits that may never end, SLAs that reach no one ----

# `event.type` is every event's; `event.get(...)` reads a key that may be absent.
EVENT_ATTRS_ALWAYS = DICT_METHODS | {"type"}


# Jinja globals a playbook has no use for (`self` is the template itself).
UNSAFE_NAMES = frozenset({"self", "lipsum", "cycler", "joiner"})


def _unsafe_in(source: str, expression: bool) -> list[str]:
    """What in `source` the sandbox would refuse (or should never see) when it runs:
    named at check time, so a playbook that tries it is never installed. The sandbox
    still guards what cannot be seen here (names built at run time)."""
    try:
        tree = ENV.parse("{{ (" + source + ") }}" if expression else source)
    except Exception:  # a syntax error: the other checks report it
        return []
    found = []
    for node in tree.find_all((nodes.Getattr, nodes.Getitem, nodes.Filter, nodes.Name)):
        if isinstance(node, nodes.Name) and node.name in UNSAFE_NAMES:
            found.append(f"{node.name!r} is not available in a playbook")
        elif isinstance(node, nodes.Getattr) and node.attr.startswith("_"):
            found.append(f"unsafe attribute {node.attr!r}")
        elif isinstance(node, nodes.Getitem | nodes.Filter):
            key = node.arg if isinstance(node, nodes.Getitem) else None
            if isinstance(node, nodes.Filter) and node.name == "attr" and node.args:
                key = node.args[0]
            if isinstance(key, nodes.Const) and str(key.value).startswith("_"):
                found.append(f"unsafe attribute {key.value!r}")
    for call in tree.find_all(nodes.Call):
        method = call.node.attr if isinstance(call.node, nodes.Getattr) else ""
        if method in ("format", "format_map"):
            # str.format reaches attributes named inside the string: use `|format`.
            found.append(f"{method}() is not allowed (use the |format filter)")
        elif isinstance(call.node, nodes.Name) and call.node.name == "range":
            bounds = [_int_const(a) for a in call.args]
            if 0 < len(bounds) <= 3 and None not in bounds and _range_size(bounds) > MAX_RANGE:
                found.append(f"range of more than {MAX_RANGE} items")
    return found


def _int_const(node: nodes.Node) -> int | None:
    """An integer written as a constant (`10**9`, `-5`), or None; a power too big to
    compute cheaply counts as 2**63, so the check never computes it."""
    if isinstance(node, nodes.Const):
        return node.value if type(node.value) is int else None
    if isinstance(node, nodes.Neg):
        value = _int_const(node.node)
        return None if value is None else -value
    if not isinstance(node, nodes.Add | nodes.Sub | nodes.Mul | nodes.Pow):
        return None
    left, right = _int_const(node.left), _int_const(node.right)
    if left is None or right is None or (isinstance(node, nodes.Pow) and right < 0):
        return None
    if isinstance(node, nodes.Pow) and abs(left) > 1 and right * math.log2(abs(left)) > 63:
        return 2**63
    ops = {nodes.Add: operator.add, nodes.Sub: operator.sub, nodes.Mul: operator.mul}
    result = ops.get(type(node), operator.pow)(left, right)
    return max(-(2**63), min(result, 2**63))


def _range_size(bounds: list[Any]) -> int:
    try:
        return len(range(*bounds))
    except OverflowError:  # more than fits in a C integer
        return 2**63
    except ValueError:  # a zero step: the sandbox reports it when it runs
        return 0


def _check_unsafe(pb: Playbook) -> list[Problem]:
    sources = list(_sources(pb))
    sources += [
        (f"classification[{i}].when", r.when, True) for i, r in enumerate(pb.classification)
    ]
    for i, c in enumerate(pb.eligibility):
        sources += [
            (f"eligibility[{i}].when", c.when, True),
            (f"eligibility[{i}].message", c.message, False),
        ]
    if pb.intake is not None:
        sources += [
            (f"intake.checks[{i}].when", c.when, True) for i, c in enumerate(pb.intake.checks)
        ]
    for key, script in pb.scripts.items():
        for name, node in script.nodes.items():
            base = f"scripts.{key}.nodes.{name}"
            sources += [(f"{base}.say", node.say, False), (f"{base}.ask", node.ask, False)]
            sources += [
                (f"{base}.check[{i}].when", c.when, True)
                for i, c in enumerate(node.check)
                if c.when is not None
            ]
    return [
        Problem(path, f"unsafe: {what}")
        for path, source, is_expr in sources
        if isinstance(source, str) and source
        for what in _unsafe_in(source, is_expr)
    ]


def _event_keys(on: str) -> frozenset[str] | None:
    """The keys of `event` for the event `on`, or None when they are not known."""
    if on.startswith(TIMER_EVENT_PREFIX) or CADENCE_DONE.fullmatch(on):
        return frozenset()
    return EVENT_KEYS.get(on)


def _check_event_keys(pb: Playbook) -> list[Problem]:
    """A guard reading `event.<key>` for an event whose data never has that key."""
    out = []
    for name, state in pb.states.items():
        for t, tr in enumerate(state.transitions):
            keys = _event_keys(tr.on) if tr.on else None
            if keys is None or not tr.when:
                continue
            path = f"states.{name}.transitions[{t}].when"
            try:
                attrs = attributes_of(tr.when, "event", expression=True)
            except Exception:  # a syntax error is reported by _check_sources
                continue
            for attr in dict.fromkeys(attrs):
                if attr not in keys and attr not in EVENT_ATTRS_ALWAYS:
                    has = ", ".join(sorted(keys)) or "nothing"
                    out.append(Problem(path, f"event {tr.on} has no {attr} (it has: {has})"))
    return out


def _timers_set_by(actions: list[Any]) -> set[str]:
    return {a.set_timer.name for _, a in _walk("", actions) if isinstance(a, SetTimer)}


def _cadences_started_by(actions: list[Any]) -> set[str]:
    return {a.start_cadence for _, a in _walk("", actions) if isinstance(a, StartCadence)}


def _check_waits(pb: Playbook) -> list[Problem]:
    """Warnings: states and cadences that only someone outside the desk can move on."""
    out: list[Problem] = []
    # What runs on the way into each state: its on_enter and the `do` of transitions to it.
    entering: dict[str, list[Any]] = {name: list(s.on_enter) for name, s in pb.states.items()}
    for state in pb.states.values():
        for tr in state.transitions:
            if tr.to in entering:
                entering[tr.to] += tr.do
    sla_starts = {s for sla in pb.slas.values() for s in sla.starts}
    for name, state in pb.states.items():
        leaving = [tr for tr in state.transitions if tr.to]
        if state.final or not leaving or name in sla_starts:
            continue
        if not all(tr.on in OUTSIDE_EVENTS for tr in leaving):
            continue
        timers = _timers_set_by(entering[name])
        if any(
            tr.on and tr.on.removeprefix(TIMER_EVENT_PREFIX) in timers
            for tr in state.transitions
            if tr.on and tr.on.startswith(TIMER_EVENT_PREFIX)
        ):
            continue
        if _cadences_started_by(entering[name]):
            continue
        events = ", ".join(dict.fromkeys(str(tr.on) for tr in leaving))
        out.append(
            Problem(
                f"states.{name}",
                f"may wait forever: nothing but {events} moves it on "
                "(add a timer, a cadence, an SLA or a manual transition)",
                warning=True,
            )
        )
    listened = {tr.on for s in pb.states.values() for tr in s.transitions if tr.on}
    for name, cadence in pb.cadences.items():
        # Only waits and sends, ending with a send (ending with a wait is reported above).
        steps = cadence.steps
        if not isinstance(steps[-1], Send) or not all(isinstance(s, Wait | Send) for s in steps):
            continue
        if f"cadence.{name}.done" not in listened:
            out.append(
                Problem(
                    f"cadences.{name}",
                    f"nobody listens for cadence.{name}.done",
                    warning=True,
                )
            )
    return out


def _reaches(pb: Playbook, start: str, goals: set[str]) -> bool:
    seen, todo = {start}, [start]
    while todo:
        state = pb.states.get(todo.pop())
        for tr in state.transitions if state else ():
            if tr.to in goals:
                return True
            if tr.to and tr.to not in seen:
                seen.add(tr.to)
                todo.append(tr.to)
    return False


def _check_sla_reach(pb: Playbook) -> list[Problem]:
    """A breach must reach someone, and the clock must be able to stop."""
    out = []
    reach = (Assign, OpenTask, Post, Send)
    for name, sla in pb.slas.items():
        breach = [a for _, a in _walk("", sla.on_breach)]
        if breach and not any(isinstance(a, reach) for a in breach):
            out.append(
                Problem(
                    f"slas.{name}.on_breach",
                    "a breach must reach someone: assign, open_task, post or send",
                )
            )
        stops = set(sla.stops)
        for i, start in enumerate(sla.starts):
            if start in pb.states and stops & set(pb.states) and not _reaches(pb, start, stops):
                out.append(
                    Problem(
                        f"slas.{name}.starts[{i}]",
                        f"never stops: no path from {start} reaches {', '.join(sla.stops)}",
                    )
                )
    return out


def team_references(pb: Playbook) -> list[tuple[str, str]]:
    """(YAML path, team name) of every `assign: {team: X}` and task `assignee: {team: X}`,
    for checks against the staff database (`opsdesk playbook check --with-staff`)."""
    out = [
        (f"{path}.assign.team", action.assign.team)
        for path, action in pb.actions()
        if isinstance(action, Assign) and action.assign.team
    ]
    for key, task in pb.tasks.items():
        if isinstance(task.assignee, TeamAssignee):
            out.append((f"tasks.{key}.assignee.team", task.assignee.team))
    return out
