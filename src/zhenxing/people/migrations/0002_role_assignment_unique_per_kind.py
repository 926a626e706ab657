"""One unique constraint per kind of role assignment.

The old constraint over (user, role, region, department) never fired: one of
region and department is always NULL, and NULLs are distinct in SQL. Two
requests at once could therefore give a user the same role twice.
"""

from django.db import migrations, models


def drop_duplicate_assignments(apps, schema_editor):
    # Duplicates the old constraint let through are exact copies (same user,
    # role and place); keep the oldest of each so that the new constraints
    # can be created. Revoking one copy would have left the role in place.
    RoleAssignment = apps.get_model("people", "RoleAssignment")
    seen = set()
    duplicates = []
    for pk, user_id, role, region_id, department_id in RoleAssignment.objects.order_by(
        "pk"
    ).values_list("pk", "user_id", "role", "region_id", "department_id"):
        key = (user_id, role, region_id, department_id)
        if key in seen:
            duplicates.append(pk)
        else:
            seen.add(key)
    if duplicates:
        RoleAssignment.objects.filter(pk__in=duplicates).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("people", "0001_initial"),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="roleassignment",
            name="role_assignment_unique",
        ),
        migrations.RunPython(drop_duplicate_assignments, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="roleassignment",
            constraint=models.UniqueConstraint(
                condition=models.Q(("region__isnull", False)),
                fields=("user", "role", "region"),
                name="role_unique_per_region",
            ),
        ),
        migrations.AddConstraint(
            model_name="roleassignment",
            constraint=models.UniqueConstraint(
                condition=models.Q(("department__isnull", False)),
                fields=("user", "role", "department"),
                name="role_unique_per_department",
            ),
        ),
    ]
