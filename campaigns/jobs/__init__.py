"""Background jobs: imports, exports, Argilla syncs and recounts, with live progress.

`services` starts, runs and cancels them; `selectors` reads them with their live progress;
`runner` hands them to a Celery worker, a thread of this process or the request itself
(settings.SOMOS_JOBS_RUNNER); `live` keeps their progress, heartbeat and cancel flag in the
cache. Apps above campaigns register what each kind does (`handlers.job_handler_register`) in
their AppConfig.ready().
"""
