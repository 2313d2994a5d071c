FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY modeljob ./modeljob
COPY producer ./producer
COPY worker ./worker
RUN pip install --no-cache-dir .
# Workers run as an unprivileged user; jobs never need root.
RUN useradd --create-home modeljob
USER modeljob
CMD ["celery", "-A", "worker", "worker", "--loglevel", "INFO"]
