// Filled by the messaging app: live unread badges over /ws/notifications/.
