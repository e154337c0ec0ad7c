import { tartProvider } from '@provisio/adapters'
import { tartStandIn } from '@provisio/adapters/testing'
import { testProvider } from '@provisio/engine/testing'
import { describe } from 'vitest'

describe('providers: tart', () => testProvider(tartProvider, tartStandIn()))
