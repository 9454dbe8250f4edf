from django.apps import AppConfig


class AiAgentConfig(AppConfig):
    name = "ai_agent"
    verbose_name = "AI agent"

    def ready(self) -> None:
        from accounts.signals import demo_club_seeded
        from inbox import panels, stats
        from inbox.signals import inbound_messages_received

        # checks register themselves; tasks register with Celery (services queue them by name).
        from . import checks, receivers, selectors, tasks  # noqa: F401

        inbound_messages_received.connect(receivers.on_inbound_messages_received, dispatch_uid="ai_agent.inbound")
        demo_club_seeded.connect(receivers.on_demo_club_seeded, dispatch_uid="ai_agent.demo")
        panels.register(selectors.inbox_panel)
        stats.source_register(key="ai_reasons", title="AI decisions by reason", read=selectors.decisions_by_reason)
