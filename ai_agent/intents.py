"""The 11 intents every backend answers with, and which of them a machine may never answer alone."""

from __future__ import annotations

from django.db import models


class Intent(models.TextChoices):
    QUESTION_ABOUT_MEMBERSHIP = "question_about_membership", "Question about membership"
    QUESTION_ABOUT_TRAINING = "question_about_training", "Question about training"
    QUESTION_ABOUT_BILLING = "question_about_billing", "Question about billing"
    QUESTION_ABOUT_SCHEDULE = "question_about_schedule", "Question about schedule"
    APPOINTMENT_REQUEST = "appointment_request", "Appointment request"
    APPOINTMENT_CANCELLATION = "appointment_cancellation", "Appointment cancellation"
    COMPLAINT = "complaint", "Complaint"
    PRAISE = "praise", "Praise"
    GENERAL_INQUIRY = "general_inquiry", "General inquiry"
    SPAM = "spam", "Spam"
    REQUIRES_HUMAN_RESPONSE = "requires_human_response", "Requires a human"


HUMAN_ONLY_INTENTS = frozenset({Intent.COMPLAINT, Intent.SPAM, Intent.REQUIRES_HUMAN_RESPONSE})
