from django.db import migrations


def create_switch(apps, schema_editor):
    # The one settings row exists from the start, off: an admin turns direct messaging on.
    MessagingSettings = apps.get_model("messaging", "MessagingSettings")
    MessagingSettings.objects.get_or_create(pk=1, defaults={"enabled": False})


class Migration(migrations.Migration):
    dependencies = [("messaging", "0001_initial")]

    operations = [migrations.RunPython(create_switch, migrations.RunPython.noop)]
