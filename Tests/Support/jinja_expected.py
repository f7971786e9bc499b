#!/usr/bin/env python3
"""Expected outputs of the Jinja features fta's templates accept, as Jinja2 renders them.

Run once to regenerate Tests/Support/jinja_expected.json (needs `pip install jinja2`); the
unit test TemplateRendererTests.testJinjaFeatures_renderAsJinja2Does compares fta's output
with the committed file. The templates are written for fta, in the style of the original's
notice and webhook templates.
"""
import json
import os
import jinja2

CONTEXT = {
    "alert": {"id": "a-1", "alert_name": "CPU usage high on web-01", "severity": 1, "note": None,
              "description": "load average 12.5 for 10 minutes on host web-01 in the payments cluster",
              "padded": "  web-01  ", "tags": "payments,web,prod"},
    "dims": {"host": "web-01", "ip": "10.0.0.1"},
    "receivers": ["alice", "bob", "carol"],
    "level": 2,
}

CASES = [
    ("default_missing", '{{ alert.owner|default("nobody") }}'),
    ("default_present", '{{ alert.id|default("?") }}'),
    ("default_chained_upper", '{{ alert.team|default("ops")|upper }}'),
    ("truncate_words", '{{ alert.description|truncate(30) }}'),
    ("truncate_kill", '{{ alert.description|truncate(30, true) }}'),
    ("truncate_end", '{{ alert.description|truncate(25, false, " [more]") }}'),
    ("truncate_short", '{{ alert.alert_name|truncate(40) }}'),
    ("join", '{{ receivers|join(", ") }}'),
    ("replace", '{{ alert.alert_name|replace("web-01", "host") }}'),
    ("replace_count", '{{ "a-b-c-d"|replace("-", "+", 2) }}'),
    ("set", '{% set who = receivers|join("/") %}to: {{ who }}'),
    ("set_literal", '{% set title = "ALARM" %}{{ title }} {{ alert.id }}'),
    ("elif", '{% if level == 1 %}fatal{% elif level == 2 %}warning{% else %}remind{% endif %}'),
    ("defined", '{% if alert.id is defined %}id={{ alert.id }}{% endif %}|{% if alert.owner is defined %}owner{% else %}no owner{% endif %}'),
    ("not_defined", '{% if alert.owner is not defined %}unassigned{% endif %}'),
    ("none", '{% if alert.note is none %}no note{% endif %}|{% if alert.id is not none %}has id{% endif %}'),
    ("loop_index", '{% for r in receivers %}{{ loop.index }}.{{ r }}{% if not loop.last %}, {% endif %}{% endfor %}'),
    ("method_strip", '[{{ alert.padded.strip() }}]'),
    ("method_split_index", '{{ alert.alert_name.split(" ")[0] }}/{{ alert.alert_name.split()[-1] }}'),
    ("method_join_split", '{{ " | ".join(alert.tags.split(",")) }}'),
    ("method_split_max", '{{ alert.tags.split(",", 1)|length }} {{ alert.tags.split(",", 1)[1] }}'),
    ("method_upper_lower", '{{ alert.id.upper() }} {{ alert.alert_name.lower() }}'),
    ("method_title_literal", '{{ "cpu usage high".title() }} {{ alert.alert_name.capitalize() }}'),
    ("method_replace", '{{ alert.alert_name.replace("web-01", "db-02") }}'),
    ("method_startswith", '{% if alert.alert_name.startswith("CPU") %}cpu{% elif alert.alert_name.endswith("01") %}01{% else %}other{% endif %}'),
    ("method_get", '{{ dims.get("host") }}/{{ dims.get("zone", "none") }}'),
    ("subscript", '{{ dims["ip"] }} {{ receivers[-1] }} {{ receivers[0]|upper }}'),
    ("method_items_loop", '{% for k, v in dims.items() %}{{ k }}={{ v }};{% endfor %}'),
    ("webhook_body", '{"alert": "{{ alert.id }}", "to": "{{ receivers|join(",") }}", "text": "{{ alert.description|truncate(40) }}"}'),
]

out = []
env = jinja2.Environment()
for name, template in CASES:
    out.append({"name": name, "template": template, "expected": env.from_string(template).render(**CONTEXT)})
path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "jinja_expected.json")
with open(path, "w") as f:
    json.dump({"context": CONTEXT, "cases": out}, f, indent=1, ensure_ascii=False)
    f.write("\n")
print("wrote %d cases to %s" % (len(out), path))
