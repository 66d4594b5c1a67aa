// The form registry without Redis: names, fields, each form's one input schema (what every entry point checks with), the ext_id rule, messages, and the chains built.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { FORM_NAMES, findForm, OPERATOR_FORMS, queuedMessage, type OperatorForm } from '../../src/forms/registry.js';
import { auditActionNames } from '../../src/actions/registry.js';
import { FORM_ACTIONS } from '../../src/actions/form-action.js';
import { checkInput } from '../../src/input/check.js';
import { formsHelp } from '../../src/cli/chain.js';
import { fieldUsage } from '../../src/forms/fields.js';

function form(name: string): OperatorForm {
  const found = findForm(name);
  assert.ok(found, name);
  return found;
}

/** What the form's schema makes of raw input, in the shape these tests were written in. */
function validateForm(
  definition: OperatorForm,
  body: Record<string, unknown>,
): { ok: true; fields: Record<string, string> } | { ok: false; errors: Record<string, string> } {
  const checked = checkInput(definition.input, body);
  return checked.ok ? { ok: true, fields: checked.value } : { ok: false, errors: checked.problems };
}

describe('operator forms', () => {
  test("GWCelery's twelve forms at its paths, and the advocate's sign-off, each audited as form.<name>", () => {
    assert.deepEqual(FORM_NAMES, [
      'send_preliminary_gcn',
      'send_update_gcn',
      'create_update_gcn_circular',
      'create_medium_latency_gcn_circular',
      'change_preferred_event',
      'change_pipeline_preferred_event',
      'apply_raven_labels',
      'send_mock_event',
      'send_mock_joint_event',
      'download_upload_external_skymap',
      'create_skymap_with_disabled_detectors',
      'copy_sky_map_between_events',
      'advocate_signoff',
    ]);
    assert.deepEqual(
      form('send_update_gcn').fields.map((field) => field.name),
      ['superevent_id', 'skymap_filename', 'em_bright_filename', 'p_astro_filename'],
    );
    for (const each of OPERATOR_FORMS) assert.equal(each.auditAction, `form.${each.name}`);
    const names = auditActionNames(FORM_ACTIONS).map((entry: { action: string }) => entry.action);
    assert.ok(names.includes('form.send_preliminary_gcn') && names.includes('task.retry'), names.join(', '));
    assert.equal(findForm('launch_rocket'), undefined);
  });

  test('input is checked field by field; the values are trimmed, checkboxes `on`', () => {
    const bad = validateForm(form('send_preliminary_gcn'), { superevent_id: 'S24', event_id: 'X1', extra: 'x' });
    assert.deepEqual(bad, {
      ok: false,
      errors: { extra: 'is not a field of this form', superevent_id: 'must look like S240101a', event_id: 'must look like G123456' },
    });
    const files = { superevent_id: 'MS240101a', em_bright_filename: 'em_bright.json,0', p_astro_filename: 'p_astro.json,1' };
    // A file name alone (its latest version) or with its version; nothing else, and no name of dots only (a URL path step).
    for (const skymap of ['bayestar.multiorder.fits', 'bayestar.multiorder.fits,3'])
      assert.deepEqual(validateForm(form('send_update_gcn'), { ...files, skymap_filename: skymap }), {
        ok: true,
        fields: { ...files, skymap_filename: skymap },
      });
    for (const skymap of ['bayestar.multiorder.fits,', 'bayestar.multiorder.fits,v1', 'a/b.fits', '..', '..,0', 'a b.fits']) {
      const file = validateForm(form('send_update_gcn'), { ...files, skymap_filename: skymap });
      assert.ok(
        !file.ok &&
          file.errors.skymap_filename === 'must be name or name,version such as bayestar.multiorder.fits or bayestar.multiorder.fits,0',
        skymap,
      );
    }
    const none = validateForm(form('create_update_gcn_circular'), { superevent_id: 'S240101a' });
    assert.ok(
      !none.ok && none.errors.sky_localization === 'Choose at least one of sky localization, em_bright, p_astro or raven coincidence.',
    );
    const some = validateForm(form('create_update_gcn_circular'), { superevent_id: ' S240101a ', em_bright: 'yes' });
    assert.deepEqual(some, { ok: true, fields: { superevent_id: 'S240101a', em_bright: 'on' } });
    assert.deepEqual(validateForm(form('send_mock_event'), {}), { ok: true, fields: {} });
  });

  test('ext_id is an external event, E and digits (mock ones too): GW event IDs are refused', () => {
    const raven = form('apply_raven_labels');
    const valid = { superevent_id: 'MS240101a', event_id: 'M0001' };
    assert.deepEqual(validateForm(raven, { ...valid, ext_id: 'E0003' }), { ok: true, fields: { ...valid, ext_id: 'E0003' } });
    for (const ext of ['M0003', 'G1', 'T5', 'H2', 'E', 'e12']) {
      const result = validateForm(raven, { ...valid, ext_id: ext });
      assert.ok(!result.ok && result.errors.ext_id === 'must look like E123456', ext);
    }
  });

  test('a body that is not plain fields: nested names and non-text values are named, never taken', () => {
    assert.deepEqual(validateForm(form('send_preliminary_gcn'), { 'superevent_id[]': 'S240101a', event_id: ['G1', 'G2'] }), {
      ok: false,
      errors: {
        superevent_id: 'nested or repeated fields are not accepted',
        event_id: 'must be given once, as text',
      },
    });
    const nested = checkInput(form('send_mock_event').input, { 'a[b]': '1' });
    assert.deepEqual(nested, { ok: false, problems: { a: 'nested or repeated fields are not accepted' } });
  });

  test("one success message for the console's flash and the terminal", () => {
    assert.equal(
      queuedMessage(form('send_preliminary_gcn'), { superevent_id: 'S240101a', event_id: 'G1' }, 'abc'),
      'Queued preliminary alert for S240101a. Follow it as task abc.',
    );
    assert.equal(queuedMessage(form('send_mock_event'), {}, 'abc'), 'Queued a mock event. Follow it as task abc.');
  });

  test('the chain a form builds: the log entry first, then its tasks', () => {
    const canvas = form('send_preliminary_gcn').build({ superevent_id: 'S240101a', event_id: 'G12' }, { user: 'dana' });
    assert.equal(canvas.kind, 'chain');
    const steps = canvas.kind === 'chain' ? canvas.steps : [];
    assert.deepEqual(
      steps.map((step) => (step.kind === 'signature' ? step.task : step.kind)),
      ['gwqueue.tasks.gracedb.upload', 'gwqueue.tasks.superevents.set_preferred_event', 'gwqueue.tasks.orchestrator.preliminary_alert'],
    );
    assert.deepEqual(steps[0].kind === 'signature' && steps[0].args, [
      null,
      null,
      'S240101a',
      'User dana queued a Preliminary alert through the dashboard.',
      ['em_follow'],
    ]);
  });

  test('`gwqueue chain --help` lists every form and its fields, from the registry', () => {
    const help = formsHelp(OPERATOR_FORMS);
    for (const each of OPERATOR_FORMS) {
      assert.match(help, new RegExp(`^  ${each.name} +${each.title}`, 'm'));
      for (const field of each.fields) assert.ok(help.includes(fieldUsage(field)), `${each.name} ${field.name}`);
    }
  });
});
