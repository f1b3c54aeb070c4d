"""Confirmation campaigns (核对信息) on the bot side: the wording of each message, the reminder
job."""
