import { ansibleProvider } from '@provisio/adapters'
import { ansibleStandIn } from '@provisio/adapters/testing'
import { testProvider } from '@provisio/engine/testing'
import { describeWithTool } from '../../../../test/helpers/system-tools'

describeWithTool('ansible-playbook')('providers: ansible', () => testProvider(ansibleProvider, ansibleStandIn()))
