from clubos.checks import check_clubos_message_sink


def test_default_sink_passes():
    assert check_clubos_message_sink(None) == []


def test_unimportable_or_wrong_sink_is_an_error(settings):
    settings.CLUBOS_MESSAGE_SINK = "inbox.services.no_such_sink"
    assert [e.id for e in check_clubos_message_sink(None)] == ["clubos.E001"]
    settings.CLUBOS_MESSAGE_SINK = "inbox.services.conversations.conversation_reply"
    assert [e.id for e in check_clubos_message_sink(None)] == ["clubos.E002"]
