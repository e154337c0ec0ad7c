import { execProvider } from '@provisio/adapters'
import { execStandIn } from '@provisio/adapters/testing'
import { testProvider } from '@provisio/engine/testing'
import { describe } from 'vitest'

describe('providers: exec', () => testProvider(execProvider, execStandIn()))
