// The dashboards' JSON model as Grafana's own TypeScript schema (@grafana/schema, the version this folder's tsconfig maps
// '@grafana/schema' to) describes it, made strict where the schema is loose. check.mjs writes one file per dashboard that
// annotates the dashboard, every panel, variable and annotation with these types; tsc --strict then refuses unknown
// properties, wrong enum values and misspelt options.
//
// What the schema itself leaves open (Record<string, unknown> or unknown) is typed here from Grafana's sources, and
// named as such: panel options and field config come from the panel plugin's generated types (composable/<panel>);
// data links, queries of the InfluxDB and Prometheus data sources, the InfluxDB annotation target, field matchers and
// the two transformations the dashboards use are transcribed from grafana/grafana (paths below). Geomap layer configs
// stay unchecked (unknown in the schema).
import type * as S from '@grafana/schema';

/** JSON as Grafana stores it: a string enum member is its string value. */
export type Lit<T> = T extends string
  ? `${T}`
  : T extends number | boolean | null | undefined
    ? T
    : T extends ReadonlyArray<infer U>
      ? Array<Lit<U>>
      : T extends object
        ? { [K in keyof T]: Lit<T[K]> }
        : T;

/** Panel options and field config: Grafana fills what is missing from the plugin's defaults, so every key is optional. */
export type Loose<T> = T extends ReadonlyArray<infer U> ? Array<Loose<U>> : T extends object ? { [K in keyof T]?: Loose<T[K]> } : T;

/** packages/grafana-data/src/types/dataLink.ts (DataLink): a field's data link. */
export interface DataLink {
  title: string;
  url: string;
  targetBlank?: boolean;
}

/** packages/grafana-data/src/transformations/matchers/ids.ts (FieldMatcherID). */
export interface FieldMatcher {
  id: 'numeric' | 'time' | 'first' | 'firstTimeField' | 'byType' | 'byName' | 'byNames' | 'byRegexp' | 'byRegexpOrNames' | 'byFrameRefID' | 'byValue';
  options?: unknown;
}

type BaseFieldConfig = Omit<Lit<S.FieldConfig>, 'custom' | 'links'> & { links?: DataLink[] };
type Entries<T, P extends string> = { [K in keyof T & string]-?: { id: `${P}${K}`; value?: T[K] } }[keyof T & string];

/** An override property: its id is a path of the field config (custom.* of the panel's FieldConfig), its value that path's type. */
export type OverrideProperty<C> = Entries<BaseFieldConfig, ''> | Entries<Loose<Lit<C>>, 'custom.'>;

export type FieldConfigSourceOf<C> = {
  defaults: BaseFieldConfig & { custom?: Loose<Lit<C>> };
  overrides: Array<{ matcher: FieldMatcher; properties: Array<OverrideProperty<C>> }>;
};

/** public/app/plugins/datasource/influxdb/types.ts (InfluxQuery), raw InfluxQL as the dashboards write it. */
export interface InfluxQuery {
  refId: string;
  datasource?: Lit<S.DataSourceRef>;
  hide?: boolean;
  rawQuery?: boolean;
  query?: string;
  resultFormat?: 'time_series' | 'table' | 'logs';
  alias?: string;
}

/** packages/grafana-prometheus/src/types.ts (PromQuery). */
export interface PromQuery {
  refId: string;
  datasource?: Lit<S.DataSourceRef>;
  hide?: boolean;
  expr: string;
  legendFormat?: string;
  range?: boolean;
  instant?: boolean;
  format?: 'time_series' | 'table' | 'heatmap';
  interval?: string;
  exemplar?: boolean;
  editorMode?: 'code' | 'builder';
}

/** public/app/plugins/datasource/influxdb/components/editor/annotation/AnnotationEditor.tsx: the InfluxDB annotation target. */
export type InfluxAnnotation = Omit<Lit<S.AnnotationQuery>, 'target' | 'builtIn'> & {
  target: InfluxQuery & {
    textColumn?: string;
    tagsColumn?: string;
    titleColumn?: string;
    timeEndColumn?: string;
    fromAnnotations?: boolean;
    textEditor?: boolean;
  };
};

export type BuiltInAnnotation = Lit<S.AnnotationQuery>;

/** public/app/features/transformers/fieldToConfigMapping/fieldToConfigMapping.ts (configMapHandlers, FieldToConfigMapping). */
interface ConfigMapping {
  fieldName: string;
  handlerKey: 'field.name' | 'field.value' | 'field.label' | '__ignore' | 'max' | 'min' | 'unit' | 'decimals' | 'displayName' | 'color'
    | 'threshold1' | 'mappings.value' | 'mappings.color' | 'mappings.text' | null;
  reducerId?: 'allValues' | 'lastNotNull' | 'last' | 'first' | 'firstNotNull' | 'min' | 'max' | 'mean' | 'sum' | 'count';
  handlerArguments?: { threshold?: { color: string } };
}

/** The transformations the dashboards use: organize (organize.ts) and configFromData (configFromQuery.ts). */
export type Transformation = { disabled?: boolean } & (
  | {
      id: 'organize';
      options: {
        excludeByName?: Record<string, boolean>;
        indexByName?: Record<string, number>;
        renameByName?: Record<string, string>;
        includeByName?: Record<string, boolean>;
      };
    }
  | { id: 'configFromData'; options: { configRefId?: string; applyTo?: FieldMatcher; mappings: ConfigMapping[] } }
);

type PanelBase = Omit<Lit<S.Panel>, 'options' | 'fieldConfig' | 'targets' | 'transformations' | 'links'>;

/** A panel of a plugin with options O and field config C, queried with Q. */
export type PanelOf<O, C, Q> = PanelBase & {
  options?: Loose<Lit<O>>;
  fieldConfig?: FieldConfigSourceOf<C>;
  targets?: Q[];
  transformations?: Transformation[];
  links?: Array<Lit<S.DashboardLink>>;
};

export type Variable = Lit<S.VariableModel>;

export type DashboardJson = Omit<Lit<S.Dashboard>, 'panels' | 'annotations' | 'templating' | 'links'> & {
  links?: Array<Lit<S.DashboardLink>>;
  annotations: { list: Array<BuiltInAnnotation | InfluxAnnotation> };
  templating: { list: Variable[] };
  panels: unknown[];
};
