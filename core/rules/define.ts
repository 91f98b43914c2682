/** defineRule(): a rule's declaration (RuleSpec) made into the Rule the analysis and the prefilter read. */
import type { Finding, Rule, RuleMatches, RuleReport, RuleSpec } from './types';

const PLACEHOLDER = /\{\{\s*(\w+)\s*\}\}/g;

/** `template` with each `{{name}}` replaced by `data.name`; a name without data is a bug in the rule. */
export function formatMessage(template: string, data: Readonly<Record<string, string | number>> | undefined, where: string): string {
  return template.replace(PLACEHOLDER, (_, name: string) => {
    if (!data || !Object.hasOwn(data, name)) throw new Error(`${where}: no data for {{${name}}}`);
    return String(data[name]);
  });
}

/** The prefilter's triggers: every name a rule matches by, each once, in declaration order. */
export function triggersOf(matches: RuleMatches): string[] {
  return [...new Set([...(matches.calls ?? []), ...(matches.tokens ?? []), ...(matches.includes ?? [])])];
}

export function defineRule<M extends string>(spec: RuleSpec<M>): Rule {
  const messages: Readonly<Record<string, string>> = Object.freeze({ ...(spec.messages ?? {}) }) as Record<string, string>;
  const resolve = (r: RuleReport<M>): Omit<Finding, 'rule' | 'severity'> => {
    if (r.messageId === undefined) return r as Omit<Finding, 'rule' | 'severity'>;
    const { messageId, data, ...rest } = r;
    if (!Object.hasOwn(messages, messageId)) throw new Error(`${spec.id}: unknown message id ${messageId}`);
    return { ...rest, message: formatMessage(messages[messageId], data, `${spec.id}/${messageId}`) };
  };
  const matches = Object.freeze({ calls: spec.matches.calls ?? [], tokens: spec.matches.tokens ?? [], includes: spec.matches.includes ?? [] });
  const needs = Object.freeze({ context: spec.needs?.context ?? false, wholeFile: spec.needs?.wholeFile ?? false });
  return {
    id: spec.id,
    severity: spec.severity,
    deprecated: spec.deprecated,
    summary: spec.summary,
    matches,
    needs,
    fixable: spec.fixable,
    messages,
    docs: { path: `core/rules/${spec.id}.md` },
    triggers: Object.freeze(triggersOf(matches)),
    usesContext: needs.context,
    readsWholeFile: needs.wholeFile,
    ...(spec.fromTarget ? { fromTarget: spec.fromTarget } : {}),
    ...(spec.optIn ? { optIn: spec.optIn } : {}),
    ...(spec.whileTargetHas ? { whileTargetHas: spec.whileTargetHas } : {}),
    check: (ctx) => {
      const reports = spec.check(ctx);
      // Most rules write their messages out: no copy then.
      return reports.every((r) => r.messageId === undefined) ? (reports as Omit<Finding, 'rule' | 'severity'>[]) : reports.map(resolve);
    },
  };
}
