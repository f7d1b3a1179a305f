import { XMLBuilder } from 'fast-xml-parser';
import { formatMinor } from '../money/minor-units.ts';
import { formatRate } from '../vat/rates.ts';
import type { OssReturn } from './oss-return.ts';

/**
 * The return in the structure of Belgium's Intervat OSS import scheme (design/vat-oss.md): root
 * `OSSConsignment` in `http://www.minfin.fgov.be/OSSDeclaration`, common types in `urn:minfin.fgov.be:oss:common`,
 * one `OSSDeclaration` with the trader, the period, a block per member state of consumption (Greece is EL),
 * the corrections of earlier periods and the total due. The official XSDs live inside Intervat; check an
 * export against them before the first real filing.
 */
export const OSS_NAMESPACE = 'http://www.minfin.fgov.be/OSSDeclaration';
export const OSS_COMMON_NAMESPACE = 'urn:minfin.fgov.be:oss:common';

const eur = (cents: number) => ({ '@_currency': 'EUR', '#text': formatMinor(cents) });

export function renderBelgianXml(ret: OssReturn): string {
  const notes: string[] = [];
  if (ret.provisional) notes.push(` PROVISIONAL: ${ret.quarter.label} has not ended; generated ${ret.generatedAt} `);
  if (ret.nil) notes.push(` Nil return: no supplies and no corrections in ${ret.quarter.label} `);
  const declaration = {
    '@_SequenceNumber': '1',
    Trader_ID: { 'common:VATNumber': { '@_issuedBy': ret.seller.vatId.memberState, '#text': ret.seller.vatId.number } },
    Period: { 'common:Year': String(ret.quarter.year), 'common:Quarter': String(ret.quarter.quarter) },
    MemberStateOfConsumption: ret.memberStates.map((block) => ({
      MemberState: block.memberState,
      Supply: block.lines.map((line) => ({
        SupplyType: line.supplyType,
        VatRateType: { '@_type': line.rateType, '#text': formatRate(line.rateBasisPoints) },
        TaxableAmount: eur(line.taxableCents),
        VatAmount: eur(line.vatCents),
      })),
      TotalVatAmount: eur(block.vatCents),
    })),
    CorrectionsInfo: ret.corrections.map((c) => ({
      MemberState: c.memberState,
      Period: { 'common:Year': String(c.period.year), 'common:Quarter': String(c.period.quarter) },
      TotalVATAmountCorrection: eur(c.vatCents),
    })),
    TotalVATAmountDue: eur(ret.totalVatDueCents),
  };
  const document = {
    '?xml': { '@_version': '1.0', '@_encoding': 'UTF-8' },
    OSSConsignment: {
      '@_xmlns': OSS_NAMESPACE,
      '@_xmlns:common': OSS_COMMON_NAMESPACE,
      '@_OSSDeclarationsNbr': '1',
      ...(notes.length ? { '#comment': notes } : {}),
      OSSDeclaration: declaration,
    },
  };
  const builder = new XMLBuilder({
    ignoreAttributes: false,
    attributeNamePrefix: '@_',
    textNodeName: '#text',
    commentPropName: '#comment',
    format: true,
    indentBy: '  ',
    suppressEmptyNode: true,
  });
  return builder.build(document) as string;
}
