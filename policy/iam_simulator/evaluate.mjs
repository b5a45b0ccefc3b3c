// Decides AWS requests with @cloud-copilot/iam-simulate: stdin {"simulations": [Simulation, ...]}, stdout one JSON
// line per simulation, in order: {"decision": "Allowed" | "ImplicitlyDenied" | "ExplicitlyDenied"} or {"error": ...}.
// Called by policy/iam_simulator/__init__.py; the versions are pinned exactly in package-lock.json.
//
// Two defects of iam-simulate 0.1.173 are worked around here (and nowhere else):
//  A. runSimulation drops `kms:EncryptionContext:<key>` context keys as "not allowed for the action" (its variable-key
//     matcher only knows `/`-separated keys such as aws:PrincipalTag/x), so a condition on the encryption context
//     always fails as "missing". Such a request is validated by runSimulation first, then decided again by
//     runUnsafeSimulation, which keeps every context key.
//  B. runUnsafeSimulation crashes on a resource policy without metadata (`resourcePolicy.metadata().name`), so the
//     resource policy is handed to it as a named ValidatedPolicy.
// Any other context key runSimulation ignores is an error, not a silent drop: it catches typos (aws:SourceAcount)
// and keys AWS does not send with that action.
import { isConditionKeyArray, runSimulation, runUnsafeSimulation, typeForContextKey } from '@cloud-copilot/iam-simulate'
import { createValidatedPolicy, validateResourcePolicy } from '@cloud-copilot/iam-policy'

const ENCRYPTION_CONTEXT_KEY = /^kms:encryptioncontext:.+/i

async function unsafeContext(contextVariables) {
  // runSimulation normalises value shapes; runUnsafeSimulation does not, so multi-valued keys become lists here.
  const context = {}
  for (const [key, value] of Object.entries(contextVariables)) {
    const multiValued = !ENCRYPTION_CONTEXT_KEY.test(key) && isConditionKeyArray(await typeForContextKey(key))
    context[key] = multiValued ? [value].flat() : Array.isArray(value) ? value[0] : value
  }
  return context
}

async function decide(simulation) {
  const checked = await runSimulation(simulation, { simulationMode: 'Strict' })
  if (checked.resultType === 'error') return { error: checked.errors }
  let result = checked.result
  if (checked.resultType === 'wildcard') {
    // An action whose resource type is optional (cloudwatch:GetMetricData) is authorized against "*" when the
    // request names no resource: take the evaluation of the literal "*", not of every ARN the policies name.
    if (simulation.request.resource.resource !== '*') {
      return { error: 'the request names a wildcard resource; give a concrete ARN' }
    }
    // runSimulation reports nothing for "*" when that evaluation is an implicit deny (simulationEngine.js).
    result = checked.results.find((r) => r.resourcePattern === '*')
    if (!result) return { decision: 'ImplicitlyDenied' }
  }
  const ignored = result.ignoredContextKeys ?? []
  if (ignored.length === 0) return { decision: result.analysis.result }
  const kmsAction = simulation.request.action.toLowerCase().startsWith('kms:')
  if (!kmsAction || !ignored.every((key) => ENCRYPTION_CONTEXT_KEY.test(key))) {
    return { error: { ignoredContextKeys: ignored } }
  }
  const resourcePolicy =
    simulation.resourcePolicy &&
    createValidatedPolicy(simulation.resourcePolicy, validateResourcePolicy, { name: 'ResourcePolicy' })
  const request = { ...simulation.request, contextVariables: await unsafeContext(simulation.request.contextVariables) }
  return { decision: runUnsafeSimulation({ ...simulation, request, resourcePolicy }, {}) }
}

let input = ''
for await (const chunk of process.stdin) input += chunk
for (const simulation of JSON.parse(input).simulations) {
  let outcome
  try {
    outcome = await decide(simulation)
  } catch (error) {
    outcome = { error: String(error?.stack ?? error) }
  }
  process.stdout.write(JSON.stringify(outcome) + '\n')
}
