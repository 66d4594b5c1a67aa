// Event files like those the pipelines upload (LIGO-LW coinc.xml, GCN VOEvent, JSON), built for the tests.

export function coincXml(options: { endTime: number; endTimeNs: number; far: number; snr?: number; ifos?: string }): string {
  const ifos = options.ifos ?? 'H1,L1';
  const singles = ifos
    .split(',')
    .map((ifo, index) => `"${ifo}",${options.endTime},${options.endTimeNs},1.4,1.3,${8 + index},"sngl_inspiral:event_id:${index}"`)
    .join(',\n        ');
  return `<?xml version='1.0' encoding='utf-8'?>
<!DOCTYPE LIGO_LW SYSTEM "http://ldas-sw.ligo.caltech.edu/doc/ligolwAPI/html/ligolw_dtd.txt">
<LIGO_LW>
  <Table Name="sngl_inspiral:table">
    <Column Name="sngl_inspiral:ifo" Type="lstring"/>
    <Column Name="sngl_inspiral:end_time" Type="int_4s"/>
    <Column Name="sngl_inspiral:end_time_ns" Type="int_4s"/>
    <Column Name="sngl_inspiral:mass1" Type="real_4"/>
    <Column Name="sngl_inspiral:mass2" Type="real_4"/>
    <Column Name="sngl_inspiral:snr" Type="real_4"/>
    <Column Name="sngl_inspiral:event_id" Type="ilwd:char"/>
    <Stream Name="sngl_inspiral:table" Delimiter="," Type="Local">
        ${singles}
    </Stream>
  </Table>
  <Table Name="coinc_inspiral:table">
    <Column Name="coinc_inspiral:combined_far" Type="real_8"/>
    <Column Name="coinc_inspiral:end_time" Type="int_4s"/>
    <Column Name="coinc_inspiral:end_time_ns" Type="int_4s"/>
    <Column Name="coinc_inspiral:ifos" Type="lstring"/>
    <Column Name="coinc_inspiral:mass" Type="real_8"/>
    <Column Name="coinc_inspiral:mchirp" Type="real_8"/>
    <Column Name="coinc_inspiral:minimum_duration" Type="real_8"/>
    <Column Name="coinc_inspiral:snr" Type="real_8"/>
    <Stream Name="coinc_inspiral:table" Delimiter="," Type="Local">
        ${options.far},${options.endTime},${options.endTimeNs},"${ifos}",2.7,1.18,,${options.snr ?? 12.5}
    </Stream>
  </Table>
</LIGO_LW>
`;
}

export function grbVoEvent(isoTime: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<voe:VOEvent xmlns:voe="http://www.ivoa.net/xml/VOEvent/v2.0" ivorn="ivo://nasa.gsfc.gcn/Fermi#GBM_Gnd_Pos" role="test" version="2.0">
  <Who>
    <AuthorIVORN>ivo://nasa.gsfc.tan/gcn</AuthorIVORN>
    <Author><shortName>Fermi (via VO-GCN)</shortName></Author>
  </Who>
  <What>
    <Param name="Instrument" value="GBM" />
    <Param name="TrigID" value="578052434" ucd="meta.id" />
    <Param name="Trig_Dur" value="0.256" unit="sec" />
  </What>
  <WhereWhen>
    <ObsDataLocation>
      <ObservatoryLocation id="GEOLUN" />
      <ObservationLocation>
        <AstroCoords coord_system_id="UTC-FK5-GEO">
          <Time unit="s"><TimeInstant><ISOTime>${isoTime}</ISOTime></TimeInstant></Time>
          <Position2D unit="deg">
            <Value2><C1>120.5</C1><C2>-33.25</C2></Value2>
            <Error2Radius>4.5</Error2Radius>
          </Position2D>
        </AstroCoords>
      </ObservationLocation>
    </ObsDataLocation>
  </WhereWhen>
  <How>
    <Description>Fermi Satellite, GBM Instrument</Description>
    <Reference uri="http://gcn.gsfc.nasa.gov/fermi.html" type="url" />
  </How>
</voe:VOEvent>
`;
}

/** What GraceDB's GrbEvent holds of grbVoEvent's notice (`extra_attributes.GRB`). */
export const GRB_OF_SAMPLE = {
  ivorn: 'ivo://nasa.gsfc.gcn/Fermi#GBM_Gnd_Pos',
  author_ivorn: 'ivo://nasa.gsfc.tan/gcn',
  author_shortname: 'Fermi (via VO-GCN)',
  observatory_location_id: 'GEOLUN',
  coord_system: 'UTC-FK5-GEO',
  ra: 120.5,
  dec: -33.25,
  error_radius: 4.5,
  how_description: 'Fermi Satellite, GBM Instrument',
  how_reference_url: 'http://gcn.gsfc.nasa.gov/fermi.html',
  T90: null,
  trigger_duration: 0.256,
  designation: null,
  redshift: null,
  trigger_id: '578052434',
};

/** The embedded store's simplest format: the record's own fields as JSON. */
export function jsonEvent(gpstime: number, far = 1e-8, instruments = 'H1,L1,V1'): string {
  return JSON.stringify({ gpstime, far, instruments, extra_attributes: { CoincInspiral: { snr: 10, mchirp: 1.2 } } });
}
