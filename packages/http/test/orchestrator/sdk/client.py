# 004's "Python SDK Example", as written; the test fills in BASE_URL and TOKEN (the only changes).
import os
import requests
class ProvisioningClient:
    def __init__(self, base_url, token):
        self.base_url = base_url
        self.headers = {
            'Authorization': f'Bearer {token}',
            'Content-Type': 'application/json'
        }
    def create_server_workflow(self, infra, settings, check_mode=False):
        payload = {
            'infra': infra,
            'settings': settings,
            'check_mode': check_mode,
            'wait': True
        }
        response = requests.post(
            f'{self.base_url}/workflows/servers/create',
            json=payload,
            headers=self.headers
        )
        return response.json()
    def get_task_status(self, task_id):
        response = requests.get(
            f'{self.base_url}/tasks/{task_id}',
            headers=self.headers
        )
        return response.json()
# Usage
client = ProvisioningClient(os.environ['BASE_URL'], os.environ['TOKEN'])
result = client.create_server_workflow('production', 'config.k')
print(f"Task ID: {result['data']}")
# Beyond 004's example: the task's status, as the client's second method reads it.
print(f"Status: {client.get_task_status(result['data'])['data']['status']}")
