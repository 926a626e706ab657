from django.db import migrations

DEFAULT_LEVELS = [
    (1, "街道", "Subdistrict", False),
    (2, "社区", "Community", False),
    (3, "经济社", "Cooperative", False),
    (4, "片区", "Area", True),
    (5, "街巷", "Street", False),
]


def add_levels(apps, schema_editor):
    RegionLevel = apps.get_model("territory", "RegionLevel")
    for depth, name, name_en, is_area in DEFAULT_LEVELS:
        RegionLevel.objects.get_or_create(
            depth=depth, defaults={"name": name, "name_en": name_en, "is_area": is_area}
        )


class Migration(migrations.Migration):
    dependencies = [("territory", "0001_initial")]
    operations = [migrations.RunPython(add_levels, migrations.RunPython.noop)]
