"""The post types Guicheng opened (the article): data, editable in the admin afterwards."""

from django.db import migrations

STANDARD_TYPES = [
    (
        "sanitation",
        "卫生监督",
        "1. 每周巡查责任片区环境卫生不少于两次；\n"
        "2. 发现暴露垃圾、乱堆乱放等问题即时劝导，并通过平台上报；\n"
        "3. 督促整改，跟踪问题直至销号。",
    ),
    (
        "river",
        "河涌保洁",
        "1. 巡查责任河段水面漂浮物、岸边垃圾和排污口；\n"
        "2. 劝导沿岸乱倒垃圾、违规排放行为；\n"
        "3. 发现问题即时上报并跟踪整改。",
    ),
    (
        "relic",
        "文物保护",
        "1. 定期巡查文物建筑及周边环境；\n"
        "2. 发现损毁、乱搭建、安全隐患即时上报；\n"
        "3. 宣传文物保护知识。",
    ),
    (
        "greening",
        "绿化卫生巡查",
        "1. 巡查公园、绿地卫生及绿化设施；\n"
        "2. 劝导毁绿、占绿、乱堆放行为；\n"
        "3. 发现问题即时上报并跟踪整改。",
    ),
    (
        "frontage",
        "门前三包",
        "1. 督促沿街商户、住户落实门前卫生、秩序、绿化“三包”责任；\n"
        "2. 劝导占道经营、乱摆卖；\n"
        "3. 发现问题即时上报并跟踪整改。",
    ),
]


def add_types(apps, schema_editor):
    PostType = apps.get_model("posts", "PostType")
    for order, (code, name, duties) in enumerate(STANDARD_TYPES, start=1):
        PostType.objects.get_or_create(
            code=code, defaults={"name": name, "duties": duties, "order": order * 10}
        )


def remove_types(apps, schema_editor):
    apps.get_model("posts", "PostType").objects.filter(
        code__in=[code for code, _name, _duties in STANDARD_TYPES], posts__isnull=True
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("posts", "0001_initial")]
    operations = [migrations.RunPython(add_types, remove_types)]
