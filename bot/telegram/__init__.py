"""The Telegram front end: `app` wires it, `handlers` are thin, `render` makes Telegram HTML,
`messages` holds the bot's own words per language, `state` keeps questions and feedback,
`transport` retries what Telegram certainly did not carry out."""
