import { vultrProvider } from '@provisio/adapters'
import { vultrStandIn } from '@provisio/adapters/testing'
import { testProvider } from '@provisio/engine/testing'
import { describe } from 'vitest'

describe('providers: vultr', () => testProvider(vultrProvider, vultrStandIn()))
