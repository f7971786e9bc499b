#!/usr/bin/env python3
"""Expected values of the original's template variables and default templates, for one fixed alert.

Run once to regenerate Tests/Support/original_expected.json (needs `pip install jinja2`); the unit
test OriginalContextTests compares fta's variables and renderings with the committed file.

The variables are computed here a second time, independently of fta's Swift code, following the
original's rules as docs/templates.md describes them (formats, wording, rows per notice way,
`alarm.callback_message` as Python's json.dumps writes it). The templates are representative
copies of the original's default notice, execution-notice and webhook templates (texts the
original builds through gettext are written out), rendered with Jinja2 against those values.
"""
import json
import os
from collections import OrderedDict
from datetime import datetime, timedelta, timezone

import jinja2

NOW = 1795000400
ACTION = {"action_plugin": {"plugin_type": "notice", "name": "通知"}, "action_config": {"id": 1, "name": "ops notice"}, "id": 41, "create_time": 1795000350, "signal": "abnormal", "plugin_type": "notice", "strategy_id": 7, "bk_biz_id": "2",
          "alert_level": 1, "assignee": ["alice", "bob"]}
ALERT = {
    "id": "16f8a1c2", "alert_name": "CPU usage high", "severity": 1, "status": "ABNORMAL",
    "begin_time": 1795000000, "create_time": 1795000005, "latest_time": 1795003723, "first_anomaly_time": 1795000000,
    "duration": 3723, "assignee": ["alice", "bob"], "appointee": ["carol"],
    "dimensions": [
        {"key": "bk_target_cloud_id", "value": "0", "display_key": "云区域ID", "display_value": "0"},
        {"key": "bk_target_ip", "value": "10.0.0.1", "display_key": "目标IP", "display_value": "10.0.0.1"},
        {"key": "device_name", "value": "eth0", "display_key": "网卡", "display_value": "eth0"},
        {"key": "bk_biz_id", "value": "2"},
    ],
    "event": {"id": "ev-9", "bk_biz_id": 2, "description": "AVG(CPU使用率) >= 95.0%, 当前值96.3%", "target_type": "HOST",
              "target": "10.0.0.1|0", "time": 1795003720, "create_time": 1795003722,
              "extra_info": {"origin_alarm": {"data": {"dimensions": {"bk_target_cloud_id": "0", "bk_target_ip": "10.0.0.1"}, "value": 96.3}}}},
    "extra_info": {"agg_dimensions": ["bk_target_ip", "bk_target_cloud_id"]},
}
STRATEGY = {"id": 7, "name": "CPU 使用率", "scenario": "os", "labels": ["os", "cpu"], "items": [
    {"name": "CPU使用率", "query_configs": [{"metric_id": "bk_monitor.system.cpu_summary.usage", "data_source_label": "bk_monitor",
                                          "data_type_label": "time_series", "unit": "%", "agg_method": "AVG", "agg_interval": 60,
                                          "result_table_id": "system.cpu_summary", "metric_field": "usage"}]}]}
SETTINGS = {
    "zh": {"language": "zh", "timezone": "Asia/Shanghai", "offset": 8 * 3600, "site_url": "https://bk.example.com/o/bk_monitorv3/",
           "business_names": {"2": "蓝鲸"}},
    "en": {"language": "en", "timezone": "UTC", "offset": 0, "site_url": "https://bk.example.com/o/bk_monitorv3/",
           "business_names": {"2": "BlueKing"}},
}


def hms(sec):
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        n, sec = divmod(sec, size)
        if n:
            parts.append("%d%s" % (n, unit))
        if len(parts) == 2:
            break
    return " ".join(parts) or "0s"


def local(ts, offset, colon):
    t = datetime.fromtimestamp(ts, timezone(timedelta(seconds=offset)))
    return str(t) if colon else t.strftime("%Y-%m-%d %H:%M:%S%z")


def utc(ts):
    return datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%d %H:%M:%S")


def variables(lang, way):
    s = SETTINGS[lang]
    zh = lang == "zh"
    t = (lambda a, b: a if zh else b)
    level_name = {1: t("致命", "Emergency"), 2: t("预警", "Critical"), 3: t("提醒", "Warning")}[ALERT["severity"]]
    duration = ALERT["duration"]
    duration_string = None if ALERT["latest_time"] == ALERT["first_anomaly_time"] else hms(duration)
    description = (t("已持续%s", "Continue %s") % duration_string) + ", " + ALERT["event"]["description"]
    dims = [(d["key"], d.get("display_key") or d["key"], d.get("display_value") or d.get("value") or "--") for d in ALERT["dimensions"]]
    shown = [d for d in dims if d[0] not in ("alert_name", "strategy_id", "target_type", "target", "bk_biz_id")]
    dimension_string = ",".join("%s=%s" % (n, v) for _, n, v in sorted(shown, key=lambda d: d[1]))
    by_key = {k: v for k, _, v in dims}
    target_string = ":".join(by_key[k] for k in ("bk_target_ip", "bk_target_cloud_id", "bk_target_service_instance_id", "ip", "bk_topo_node",
                                               "bk_service_instance_id", "target", "bk_host_id") if k in by_key)
    biz_name = s["business_names"]["2"]
    biz_display = "[2]%s (%s)" % (biz_name, t("业务", "Business"))
    detail_url = None if way == "sms" else "%s?bizId=2#/trace/alarm-center?queryString=action_id%%20%%3A%%20%d%d&filterMode=queryString" % (
        s["site_url"], ACTION["create_time"], ACTION["id"])
    data_source = t("监控采集指标", "Monitor Collector Metric")
    value = ALERT["event"]["extra_info"]["origin_alarm"]["data"]["value"]

    def row(zh_label, en_label, v):
        if v is None:
            return ""
        label = t(zh_label, en_label) + ": "
        if way == "wxwork-bot":
            return "**%s**%s" % (label, v)
        if way == "mail":
            # fta escapes alert text in mail rows (the original put it in raw).
            v = str(v).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
            return '<tr><td style="color: #979BA5">%s</td><td>%s</td></tr><tr><td colspan="4" style="height: 20px"></td></tr>' % (label, v)
        return label + str(v)

    mail, sms, md = way == "mail", way == "sms", way == "wxwork-bot"
    content = {
        "level": row("告警级别", "Alarm Severity", level_name if mail else None),
        "begin_time": row("首次异常", "First Triggered", None if sms else local(ALERT["begin_time"], s["offset"], False)),
        "time": row("最近异常", "Last Triggered", None if sms else local(ALERT["latest_time"], s["offset"], False)),
        "duration": row("持续时间", "Duration", duration_string if mail else None),
        "target_type": row("告警对象", "Alarm Object", "IP" if mail else None),
        "data_source": row("数据来源", "Data Source", data_source if mail else None),
        "content": row("告警内容", "Alarm Content", description) if mail else row("内容", "Content", description),
        "current_value": row("当前值", "Value", "%s%%" % value if mail else None),
        "biz": row("所属空间", "Belongs to space", biz_display),
        "target": row("目标", "Target", target_string),
        "dimension": row("维度", "Dimension", dimension_string),
        "detail": row("告警ID", "Alert ID", ALERT["id"]) if sms else row("详情", "Details", None if mail or md else detail_url),
        "assign_detail": "",
        "related_info": row("关联信息", "Related Info", None if sms else "--"),
        "receivers": row("告警接收人", "Receivers", "alice,bob"),
    }
    order = ["level", "begin_time", "time", "duration", "target_type", "data_source", "content", "current_value", "biz", "target",
             "dimension", "detail", "assign_detail", "related_info"]
    # Blank rows are dropped, except in markdown (as the original's row renderer).
    user_content = "\n".join(content[k] for k in order if content[k] or md)

    item = STRATEGY["items"][0]
    q = item["query_configs"][0]
    callback = OrderedDict([
        ("type", "ANOMALY_NOTICE"), ("scenario", STRATEGY["scenario"]), ("bk_biz_id", ALERT["event"]["bk_biz_id"]), ("bk_biz_name", biz_name),
        ("event", OrderedDict([
            ("id", ALERT["id"]), ("event_id", ALERT["id"]), ("is_shielded", False), ("begin_time", utc(ALERT["begin_time"])),
            ("create_time", utc(ALERT["create_time"])), ("end_time", None), ("level", ALERT["severity"]), ("level_name", level_name),
            ("agg_dimensions", ALERT["extra_info"]["agg_dimensions"]),
            ("dimensions", ALERT["event"]["extra_info"]["origin_alarm"]["data"]["dimensions"]), ("dimension_translation", {})])),
        ("strategy", OrderedDict([("id", STRATEGY["id"]), ("name", STRATEGY["name"]), ("scenario", STRATEGY["scenario"]), ("item_list", [
            OrderedDict([("metric_field", q["metric_id"].split(".")[-1]), ("metric_field_name", item["name"]),
                         ("data_source_label", "bk_monitor"), ("data_source_name", "监控平台"), ("data_type_label", "time_series"),
                         ("data_type_name", "时序"), ("metric_id", q["metric_id"])])])])),
        ("latest_anomaly_record", OrderedDict([("anomaly_id", ALERT["event"]["id"]), ("source_time", utc(ALERT["event"]["time"])),
                                               ("create_time", utc(ALERT["event"]["create_time"])),
                                               ("origin_alarm", ALERT["event"]["extra_info"]["origin_alarm"])])),
        ("current_value", value), ("description", description), ("related_info", ""), ("labels", STRATEGY["labels"]),
    ])
    way_names = {"sms": t("短信", "SMS"), "mail": t("邮件", "Email"), "weixin": t("微信", "WeChat"), "wxwork-bot": t("群机器人", "Group Bot")}
    alarm = {
        "id": ALERT["id"], "name": ALERT["alert_name"], "level": 1, "level_name": level_name, "display_type": t("发生告警", "Alarm Occurs"),
        "begin_time": local(ALERT["begin_time"], s["offset"], True), "begin_timestamp": ALERT["begin_time"],
        "time": local(ALERT["create_time"], s["offset"], True), "duration": duration, "duration_string": duration_string,
        "description": description, "current_value": value, "dimension_string": dimension_string, "target_string": target_string,
        "target_type": "HOST", "target_type_name": "IP", "collect_count": 1, "data_source_name": data_source,
        "detail_url": detail_url, "callback_message": json.dumps(callback), "assignees": "alice,bob",
        "display_dimensions": {k: {"display_name": n, "display_value": v} for k, n, v in shown},
    }
    start = local(ACTION["create_time"], s["offset"], False)
    action_instance = {"name": "ops notice", "plugin_type_name": "通知", "assignees": "alice,bob",
                       "operate_target_string": way_names[way], "start_time": start, "end_time": "--",
                       "duration": NOW - ACTION["create_time"], "duration_string": hms(NOW - ACTION["create_time"]),
                       "status_display": t("执行中", "Running")}
    strategy = dict(STRATEGY, strategy_id=7,
                    item={"name": item["name"], "unit": "%", "metric_field": "usage", "result_table_id": "system.cpu_summary",
                          "agg_interval": 60, "agg_method": "AVG"})
    return {
        "alarm": alarm, "content": content, "business": {"bk_biz_id": "2", "bk_biz_name": biz_name, "display_name": biz_display},
        "action_instance": action_instance, "strategy": strategy, "alert": ALERT, "level_name": level_name,
        "level_color": "#EA3636", "notice_way": way, "notice_title": t("蓝鲸监控", "BK Monitor"), "user_content": user_content,
    }


# Representative copies of the original's default templates (zh texts written out).
TEMPLATES = [
    ("user_title", "{{business.bk_biz_name}} - {{alarm.name}} {{alarm.display_type}}"),
    ("user_content", "\n".join("{{content.%s}}" % k for k in ["level", "begin_time", "time", "duration", "target_type", "data_source", "content",
                                                            "current_value", "biz", "target", "dimension", "detail", "assign_detail", "related_info"])),
    ("sms_content", "{{notice_title}}通知，[{{level_name | safe}}]{{alert.alert_name | safe}}\n{{user_content | safe}}"),
    ("weixin_content", "[{{level_name | safe}}] {{alert.alert_name | safe}}\n{{user_content | safe}}"),
    ("recovered_weixin_content", "[已恢复][{{level_name | safe}}] {{alert.alert_name | safe}}\n{{user_content | safe}}"),
    ("voice_content", "{{notice_title}}通知，当前{{business.bk_biz_name}}业务{{alert.alert_name}}下发生{{level_name}}告警"),
    ("markdown_content", "{% if alarm.level == 1 %}\n**`[{{level_name | safe}}]` {{alert.alert_name | safe}}**\n{% else %}\n"
                         "**[{{level_name | safe}}] {{alert.alert_name | safe}}**\n{% endif %}\n{{user_content | safe}}\n"
                         "{% if alarm.detail_url %}\n[查看详情]({{alarm.detail_url}})\n{% endif %}"),
    ("mail_header", '<span style="color: {{ level_color }};">【{{ level_name }}】</span>{{ alarm.name }} {{ alarm.time }}'),
    ("webhook_body", '{"data_type":"raw","content_type":"json","content":"{{alarm.callback_message}}"}'),
    ("webhook_callback", "{{alarm.callback_message}}"),
    ("execution_notice", "套餐名称 : {{action_instance.name | safe}}\n套餐类型 : {{action_instance.plugin_type_name}}\n"
                         "负责人 : {{action_instance.assignees}}\n操作对象 : {{action_instance.operate_target_string}}\n"
                         "开始时间 : {{action_instance.start_time}}\n结束时间 : {{action_instance.end_time}}\n"
                         "执行时长 : {{action_instance.duration_string}}\n执行状态 : {{action_instance.status_display}}"),
    ("alarm_fields", "{{alarm.id}}|{{alarm.level}}|{{alarm.begin_time}}|{{alarm.time}}|{{alarm.begin_timestamp}}|{{alarm.duration}}|"
                     "{{alarm.duration_string}}|{{alarm.description}}|{{alarm.target_type}}|{{alarm.target_type_name}}|{{alarm.collect_count}}|"
                     "{{alarm.current_value}}|{{alarm.data_source_name}}|{{alarm.target_string}}|{{alarm.dimension_string}}|{{alarm.assignees}}"),
    ("display_dimension", '{{ alarm.display_dimensions["bk_target_ip"].display_name }}={{ alarm.display_dimensions["bk_target_ip"].display_value }}'),
    ("strategy_fields", "{{strategy.strategy_id}} {{strategy.name}} {{strategy.item.name}} {{strategy.item.agg_method}}({{strategy.item.metric_field}})"
                        "{{strategy.item.unit}} {{strategy.item.result_table_id}} {{strategy.item.agg_interval}} {{strategy.labels|join(\",\")}}"),
    ("business", "{{business.bk_biz_id}} {{business.bk_biz_name}} {{business.display_name}}"),
    ("dimension_loop", "{% for key, d in alarm.display_dimensions.items() %}{{ d.display_name }}={{ d.display_value }}{% if not loop.last %}; {% endif %}{% endfor %}"),
]

env = jinja2.Environment()
cases = []
for lang, way in [("zh", "sms"), ("zh", "weixin"), ("zh", "mail"), ("zh", "wxwork-bot"), ("en", "weixin")]:
    context = variables(lang, way)
    for name, template in TEMPLATES:
        out = env.from_string(template).render(**context)
        if name == "user_content":
            # The original drops the blank rows of a rendered user content (except markdown).
            out = "\n".join(line for line in out.split("\n") if line.strip()) if way != "wxwork-bot" else out
        cases.append({"language": lang, "way": way, "name": name, "template": template, "expected": out})

path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "original_expected.json")
with open(path, "w") as f:
    json.dump({"now": NOW, "action": ACTION, "alert": ALERT, "strategy": STRATEGY, "settings": SETTINGS, "cases": cases,
               "variables": {"%s/%s" % (lang, way): variables(lang, way) for lang, way in [("zh", "sms"), ("zh", "mail"), ("en", "weixin")]}},
              f, indent=1, ensure_ascii=False)
    f.write("\n")
print("wrote %d cases to %s" % (len(cases), path))
