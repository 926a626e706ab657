"""The topics charter articles are tagged with (the article names the first four): data."""

from django.db import migrations

TOPICS = [
    ("sanitation", "环境卫生"),
    ("roads", "道路交通"),
    ("housing_land", "房屋土地"),
    ("public_order", "治安"),
    ("customs", "移风易俗"),
    ("collective", "集体经济"),
    ("affairs", "村务管理"),
    ("fire", "消防安全"),
]


def add_topics(apps, schema_editor):
    Topic = apps.get_model("charters", "Topic")
    for order, (code, name) in enumerate(TOPICS, start=1):
        Topic.objects.get_or_create(code=code, defaults={"name": name, "order": order * 10})


def remove_topics(apps, schema_editor):
    apps.get_model("charters", "Topic").objects.filter(
        code__in=[code for code, _name in TOPICS]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("charters", "0001_initial")]
    operations = [migrations.RunPython(add_topics, remove_topics)]
