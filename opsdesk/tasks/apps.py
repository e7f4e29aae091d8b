from django.apps import AppConfig


class TasksConfig(AppConfig):
    name = "opsdesk.tasks"
    label = "tasks"
