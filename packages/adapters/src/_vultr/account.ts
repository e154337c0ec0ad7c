import { z } from 'zod'
import type { ActionDefinition } from '@provisio/engine'
import { createError } from '../utils/error'
import { vultrSession } from './client'
import type { VultrConfig } from './config'
import type { VultrAccount } from './types'

/** `GET /v2/account`: the balance (negative while in credit) and the charges not yet invoiced. */
export const accountGet: ActionDefinition<VultrConfig, Record<string, never>, VultrAccount> = {
  description: 'Reads the account: name, e-mail, ACLs, balance, pending charges and the last payment',
  idempotent: true,
  input: z.object({}).strict() as z.ZodType<Record<string, never>>,
  async run(ctx) {
    const { api, log } = vultrSession(ctx)
    const answer = await api.get<{ account?: VultrAccount }>('/account')
    if (!answer?.account) throw createError('vultr', 'GET /account answered without an account', { code: 'BAD_ANSWER' })
    log(`account: balance ${answer.account.balance}, pending charges ${answer.account.pending_charges}`)
    return answer.account
  },
}
