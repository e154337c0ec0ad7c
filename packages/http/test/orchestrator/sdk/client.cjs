// 004's "JavaScript/Node.js SDK Example", as written; the test fills in BASE_URL and TOKEN (the only
// changes) and runs it as an ES module with `require` provided, since the example awaits at top level.
const axios = require('axios');
class ProvisioningClient {
constructor(baseUrl, token) {
this.client = axios.create({
baseURL: baseUrl,
headers: {
'Authorization': `Bearer ${token}`,
'Content-Type': 'application/json'
}
});
}
async createServerWorkflow(infra, settings, checkMode = false) {
const response = await this.client.post('/workflows/servers/create', {
infra,
settings,
check_mode: checkMode,
wait: true
});
return response.data;
}
async getTaskStatus(taskId) {
const response = await this.client.get(`/tasks/${taskId}`);
return response.data;
}
}
// Usage
const client = new ProvisioningClient(process.env.BASE_URL, process.env.TOKEN);
const result = await client.createServerWorkflow('production', 'config.k');
console.log(`Task ID: ${result.data}`);
console.log(`Status: ${(await client.getTaskStatus(result.data)).data.status}`);
