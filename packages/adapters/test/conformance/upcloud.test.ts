import { upcloudProvider } from '@provisio/adapters'
import { upcloudStandIn } from '@provisio/adapters/testing'
import { testProvider } from '@provisio/engine/testing'
import { describe } from 'vitest'

describe('providers: upcloud', () => testProvider(upcloudProvider, upcloudStandIn()))
