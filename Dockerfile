# One image for the web server, the workers and the scheduler.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
RUN useradd --system --uid 10001 moderato && mkdir -p /app/data && chown moderato /app/data
USER moderato
EXPOSE 8000
CMD ["granian", "--interface", "rsgi", "--host", "0.0.0.0", "--port", "8000", "--workers", "2", "--http1-header-read-timeout", "10000", "--no-ws", "--task-impl", "asyncio", "--loop", "uvloop", "--respawn-failed-workers", "service.rsgi:app"]
