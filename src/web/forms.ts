// The seven operator forms as the console shows them: paths (GWCelery's), fields, typeahead sources, confirmation.

export interface FormField {
  name: string;
  label: string;
  placeholder: string;
  /** Typeahead endpoint fed with the form's superevent_id and this field's text. */
  typeahead?: string;
  /** Checkbox fields (circular update types) rather than text. */
  checkbox?: boolean;
  help?: string;
}

export interface OperatorForm {
  /** Path without the leading slash; also the audit action and the operator chain's key. */
  name: string;
  title: string;
  description: string;
  fields: FormField[];
  /** Sends or changes something public: ask before doing it. */
  confirm: boolean;
  button: string;
}

const SUPEREVENT: FormField = { name: 'superevent_id', label: 'Superevent ID', placeholder: 'S240101a', typeahead: '/typeahead_superevent_id' };
const EVENT: FormField = { name: 'event_id', label: 'Event ID', placeholder: 'G123456', typeahead: '/typeahead_event_id' };

export const OPERATOR_FORMS: OperatorForm[] = [
  {
    name: 'send_preliminary_gcn',
    title: 'Issue Preliminary GCN Notice',
    description: 'Set the preferred event, copy its sky map, em_bright and p_astro to the superevent, and send a PRELIMINARY alert.',
    fields: [SUPEREVENT, EVENT],
    confirm: true,
    button: 'Send preliminary alert',
  },
  {
    name: 'send_update_gcn',
    title: 'Issue Update GCN Notice',
    description: 'Send an UPDATE alert with the chosen sky map, em_bright and p_astro files (name,version).',
    fields: [
      SUPEREVENT,
      { name: 'skymap_filename', label: 'Sky map', placeholder: 'bayestar.multiorder.fits,0', typeahead: '/typeahead_skymap_filename' },
      { name: 'em_bright_filename', label: 'em_bright', placeholder: 'em_bright.json,0', typeahead: '/typeahead_em_bright_filename' },
      { name: 'p_astro_filename', label: 'p_astro', placeholder: 'p_astro.json,0', typeahead: '/typeahead_p_astro_filename' },
    ],
    confirm: true,
    button: 'Send update alert',
  },
  {
    name: 'create_update_gcn_circular',
    title: 'Create Update GCN Circular',
    description: 'Compose the text of an update circular from the superevent\'s latest files.',
    fields: [
      SUPEREVENT,
      { name: 'sky_localization', label: 'Sky localization', placeholder: '', checkbox: true },
      { name: 'em_bright', label: 'em_bright', placeholder: '', checkbox: true },
      { name: 'p_astro', label: 'p_astro', placeholder: '', checkbox: true },
    ],
    confirm: false,
    button: 'Create circular',
  },
  {
    name: 'change_prefered_event',
    title: 'Change Preferred Event',
    description: 'Make another event the superevent\'s preferred event. No alert is sent.',
    fields: [SUPEREVENT, EVENT],
    confirm: true,
    button: 'Change preferred event',
  },
  {
    name: 'apply_raven_labels',
    title: 'Designate External Coincidence',
    description: 'Apply RAVEN_ALERT to the superevent, the external event and the GW event.',
    fields: [SUPEREVENT, { name: 'ext_id', label: 'External event ID', placeholder: 'E123456' }, EVENT],
    confirm: true,
    button: 'Apply RAVEN labels',
  },
  {
    name: 'send_mock_event',
    title: 'Mock event',
    description: 'Upload a synthetic MDC compact binary coalescence event; it is grouped into a superevent.',
    fields: [],
    confirm: true,
    button: 'Send mock event',
  },
  {
    name: 'send_mock_joint_event',
    title: 'Mock joint event',
    description: 'A mock event, then a synthetic Fermi GRB a few seconds later.',
    fields: [],
    confirm: true,
    button: 'Send mock joint event',
  },
];

export function findForm(name: string): OperatorForm | undefined {
  return OPERATOR_FORMS.find((form) => form.name === name);
}
