import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { createStacks } from '../../infra/app-factory';

/** `cdk synth -c merchants=acme,globex`: one stack per merchant, sharing nothing. */
describe('one stack per merchant', () => {
  const app = new App({ context: { stage: 'prod', merchants: 'acme,globex' } });
  const stacks = createStacks(app);
  const templates = Object.fromEntries(
    stacks.map((stack) => [stack.stackName, Template.fromStack(stack).toJSON() as Record<string, unknown>]),
  );

  it('gives each merchant its own stack, named for it, with its own data and delivery resources', () => {
    expect(Object.keys(templates).sort()).toEqual(['ProductImages-acme-prod', 'ProductImages-globex-prod']);
    for (const [merchant, stack] of [
      ['acme', stacks[0]],
      ['globex', stacks[1]],
    ] as const) {
      const template = Template.fromStack(stack ?? stacks[0]!);
      for (const type of [
        'AWS::DynamoDB::Table',
        'AWS::S3::Bucket',
        'AWS::CloudFront::Distribution',
        'AWS::Events::EventBus',
        'AWS::ApiGateway::RestApi',
        'AWS::SQS::Queue',
      ])
        expect(Object.keys(template.findResources(type)).length, `${merchant} ${type}`).toBeGreaterThan(0);
      template.hasResourceProperties('AWS::Events::EventBus', { Name: `product-images-${merchant}-prod` });
      template.hasResourceProperties('AWS::ApiGateway::UsagePlan', {
        UsagePlanName: `product-images-${merchant}-prod-default`,
      });
      template.hasResourceProperties('AWS::CloudWatch::Dashboard', {
        DashboardName: `product-images-${merchant}-prod`,
      });
    }
  });

  it('has no cross-stack reference, export or grant: neither stack names the other', () => {
    for (const [name, template] of Object.entries(templates)) {
      const text = JSON.stringify(template);
      const other = name.includes('acme') ? 'globex' : 'acme';
      expect(text, name).not.toContain('Fn::ImportValue');
      expect(text, name).not.toContain('"Export"');
      expect(text.toLowerCase(), name).not.toContain(other);
    }
    // Names an account holds once (buses, dashboards, APIs, plans, CloudFront functions and policies)
    // are never the same in both stacks.
    const names = Object.values(templates).map((template) => {
      const found = new Set<string>();
      const visit = (value: unknown, key = '') => {
        // Resource names carry a dash (`product-images-…`); dimension and attribute names do not.
        if (typeof value === 'string' && /Name$/.test(key) && value.includes('-')) found.add(value);
        else if (value && typeof value === 'object')
          for (const [inner, child] of Object.entries(value)) visit(child, inner);
      };
      visit((template as { Resources: unknown }).Resources);
      return found;
    });
    const [acme, globex] = names;
    expect([...(acme ?? [])].filter((name) => globex?.has(name))).toEqual([]);
  });

  it('refuses a merchant name a stack cannot carry, and a merchant listed twice', () => {
    expect(() => createStacks(new App({ context: { merchants: 'Acme Corp' } }))).toThrow(/lower-case/);
    expect(() => createStacks(new App({ context: { merchants: 'acme,acme' } }))).toThrow(/twice/);
  });
});
